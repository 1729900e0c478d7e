// A webhook trigger in words, the same in `conveyor describe` and the Console's Triggers block:
// "github, Secret gh-token (key token), events push, params commit ← /head_commit/id, 1 filter".
import type { WebhookTrigger } from './types.ts';

/** The parts of the sentence, in order: type, Secret, events, mapped params, filters, bucket notifications. */
export function webhookWordParts(w: WebhookTrigger): string[] {
  const parts = [w.type, `Secret ${w.secretRef.name} (key ${w.secretRef.key ?? 'token'})`];
  if (w.events?.length) parts.push(`events ${w.events.join(', ')}`);
  if (w.params?.length) parts.push(`params ${w.params.map((m) => `${m.name} ← ${m.from}`).join(', ')}`);
  if (w.filter?.length) parts.push(`${w.filter.length} filter${w.filter.length === 1 ? '' : 's'}`);
  const b = w.bucketNotification;
  if (b) {
    const into = [b.bucketParam ? `bucket → ${b.bucketParam}` : '', `key → ${b.keyParam}`];
    const only = [b.prefix ? `prefix ${b.prefix}` : '', b.suffix ? `suffix ${b.suffix}` : ''];
    parts.push(`bucket notifications (${[...into, ...only].filter(Boolean).join(', ')})`);
  }
  return parts;
}

export function webhookWords(w: WebhookTrigger): string {
  return webhookWordParts(w).join(', ');
}
