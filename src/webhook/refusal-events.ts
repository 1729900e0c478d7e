// Refused deliveries become Warning Events on their Pipeline, at a bounded rate: at most one per
// Pipeline and outcome per window, so a sender hammering a known path cannot turn each request
// into an API write.
import type { Pipeline } from '../api/types.ts';
import type { Outcome } from './outcomes.ts';
import { type EventEmitter, keyOf } from './source.ts';

export const REFUSAL_REASON = 'WebhookRefused';
export const EVENT_WINDOW_MS = 60_000;
/** Entries kept at most; past it, those older than the window are dropped (they allow an Event anyway). */
const MAX_ENTRIES = 20_000;

export class RefusalEvents {
  private readonly last = new Map<string, number>();
  private suppressed = 0;

  private readonly emit: EventEmitter;
  private readonly windowMs: number;

  constructor(emit: EventEmitter, windowMs = EVENT_WINDOW_MS) {
    this.emit = emit;
    this.windowMs = windowMs;
  }

  /** Emits unless one for this Pipeline and outcome went out within the window; true when emitted. */
  refused(pipeline: Pipeline, outcome: Outcome, detail: string, now: number): boolean {
    const id = `${keyOf(pipeline)}|${outcome}`;
    const prev = this.last.get(id);
    if (prev !== undefined && now - prev < this.windowMs) {
      this.suppressed++;
      return false;
    }
    if (this.last.size >= MAX_ENTRIES) this.prune(now);
    this.last.delete(id);
    this.last.set(id, now);
    const more =
      this.suppressed > 0 ? ` (${this.suppressed} more refusals not recorded as Events in the last minute)` : '';
    this.suppressed = 0;
    this.emit(pipeline, {
      type: 'Warning',
      reason: REFUSAL_REASON,
      message: `webhook delivery refused: ${outcome}: ${detail}${more}`,
    });
    return true;
  }

  private prune(now: number): void {
    for (const [id, at] of this.last) if (now - at >= this.windowMs) this.last.delete(id);
    // Still full: every entry is recent; forget the oldest (insertion order) rather than grow.
    while (this.last.size >= MAX_ENTRIES) {
      const oldest = this.last.keys().next().value;
      if (oldest === undefined) break;
      this.last.delete(oldest);
    }
  }
}
