// Status in plain words for the pipeline header: conditions as sentences, durations, times.
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

/** "1h 2m", "3m 4s", "5s"; "" when unknown. */
export function duration(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms) || ms < 0) return '';
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${s % 60}s`;
  return `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`;
}

export function between(start?: string, end?: string, now = Date.now()): string {
  if (!start) return '';
  return duration((end ? Date.parse(end) : now) - Date.parse(start));
}

export function localTime(t?: string): string {
  return t ? new Date(t).toLocaleString() : '';
}
