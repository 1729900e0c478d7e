// The run requests this process wrote, newest last, at most a bound. Status lists only the last 10
// deliveries a Pipeline handled (status.webhook.deliveries), so a delivery redelivered after 10
// newer ones — GitHub's "Redeliver" on an old delivery, or a captured hmac body sent again — would
// look new there; this memory still knows it for as long as the process runs. Keyed by the
// Pipeline's uid, so a Pipeline re-created under its name starts clean. Bounded: 10,000 entries of
// well under 200 bytes each (MAX_DELIVERY_ID_LENGTH), about 2 MiB at worst.

export const MAX_RECENT_REQUESTS = 10_000;

export class RecentRequests {
  private readonly entries = new Set<string>();
  private readonly max: number;

  constructor(max = MAX_RECENT_REQUESTS) {
    this.max = max;
  }

  has(uid: string, value: string): boolean {
    return this.entries.has(`${uid}\n${value}`);
  }

  /** Remembers a written request; past the bound the oldest is forgotten. */
  add(uid: string, value: string): void {
    const key = `${uid}\n${value}`;
    this.entries.delete(key);
    this.entries.add(key);
    if (this.entries.size > this.max) {
      const oldest = this.entries.values().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
  }

  get size(): number {
    return this.entries.size;
  }
}
