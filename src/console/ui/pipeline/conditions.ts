// A Pipeline's conditions as sentences, for the pipeline header.
import type { Condition } from '../../../api/types.ts';

/** "Stalled: stage "load" failed: …" — the condition's type, then its message (else its reason). */
export function conditionSentence(c: Pick<Condition, 'type' | 'status' | 'reason' | 'message'>): string {
  const what = c.message || splitCamel(c.reason);
  if (c.type === 'Stalled' && c.status === 'True') return `Stalled: ${what}`;
  if (c.type === 'Ready') return c.status === 'True' ? `Ready: ${what}` : `Not ready: ${what}`;
  if (c.type === 'Reconciling' && c.status === 'True') return `Working: ${what}`;
  return `${c.type} ${c.status}: ${what}`;
}

/** "RunDeadlineExceeded" → "run deadline exceeded". */
export function splitCamel(reason: string): string {
  return reason.replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase();
}
