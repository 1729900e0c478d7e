// Which Pipeline each webhook path belongs to. For every Pipeline with spec.triggers.webhook the
// index reads the Secret it names (by name, in its namespace), keeps the token and derives the
// path from it; the planner learns the path (or why there is none) through facts(), and the
// Pipeline is requeued whenever that changes. Secrets are read again when the Pipeline's webhook
// changes, every refresh period (a rotated token), and once after a signature failure.
import type { Pipeline, WebhookTrigger } from '../api/types.ts';
import type { Logger } from 'pino';
import { keyOf, type PipelineSource } from './source.ts';
import { readToken, type SecretGet } from './secret-reader.ts';

/** What the planner is told of a Pipeline's webhook (status.webhook.path / message). */
export interface WebhookFacts {
  path?: string;
  message?: string;
}

export const DEFAULT_SECRET_KEY = 'token';
export const NOT_RECEIVING =
  'this operator does not receive webhooks: it was started without --webhook-address (chart: webhooks.enabled)';
export const REFRESH_MS = 60_000;
/** A signature failure reads the Secret again at most this often per Pipeline. */
export const REREAD_AFTER_FAILURE_MS = 10_000;

export interface Hook {
  key: string;
  token: string;
  path: string;
}

interface Entry {
  /** The Pipeline's uid and webhook spec, as JSON: a change of either reads the Secret again. */
  fingerprint: string;
  token?: string;
  facts: WebhookFacts;
  lastRead: number;
}

export function webhookSpecOf(p: Pipeline): WebhookTrigger | undefined {
  return p.spec?.triggers?.webhook;
}

export type PathOf = (token: string, name: string, namespace: string) => string;

export interface PathIndexOptions {
  source: PipelineSource;
  getSecret: SecretGet;
  pathOf: PathOf;
  log: Logger;
  /** False without --webhook-address: no Secret is read, and facts() says why. */
  receiving: boolean;
  now?: () => number;
}

export class PathIndex {
  private readonly entries = new Map<string, Entry>();
  private readonly byPath = new Map<string, string>();
  /** A read per key in flight: a newer one supersedes it (its result is dropped). */
  private readonly reading = new Map<string, number>();
  private seq = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly now: () => number;

  private readonly o: PathIndexOptions;

  constructor(o: PathIndexOptions) {
    this.o = o;
    this.now = o.now ?? Date.now;
    if (o.receiving) o.source.onChange((p, verb) => this.changed(p, verb));
  }

  /** Reads every Pipeline's Secret now and then every REFRESH_MS. */
  start(refreshMs = REFRESH_MS): void {
    if (!this.o.receiving) return;
    void this.refreshAll();
    this.timer = setInterval(() => void this.refreshAll(), refreshMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  /**
   * For the gatherer, of the Pipeline it reconciles (the controller's copy: this index may see a
   * change a moment later, and requeues the Pipeline when its facts change): undefined when the
   * Pipeline has no webhook. Until its Secret is read (just
   * after a start), what status already says, so a restart does not make the path flap.
   */
  facts(p: Pipeline): WebhookFacts | undefined {
    if (!webhookSpecOf(p)) return undefined;
    if (!this.o.receiving) return { message: NOT_RECEIVING };
    const known = this.entries.get(keyOf(p))?.facts;
    if (known) return known;
    const { path, message } = p.status?.webhook ?? {};
    return path || message ? { ...(path ? { path } : {}), ...(message ? { message } : {}) } : undefined;
  }

  /** The Pipeline a path belongs to, with its token. */
  lookup(path: string): Hook | undefined {
    const key = this.byPath.get(path);
    const token = key === undefined ? undefined : this.entries.get(key)?.token;
    return key === undefined || token === undefined ? undefined : { key, token, path };
  }

  /** A signature failed: the token may have been rotated, so read the Secret again (rate-bound). */
  signatureFailed(key: string): void {
    const entry = this.entries.get(key);
    if (!entry || this.now() - entry.lastRead < REREAD_AFTER_FAILURE_MS) return;
    entry.lastRead = this.now();
    void this.refresh(key);
  }

  /** Reads every webhook Pipeline's Secret, four at a time. */
  async refreshAll(): Promise<void> {
    if (!this.o.receiving) return;
    const keys = this.o.source
      .list()
      .filter((p) => webhookSpecOf(p))
      .map(keyOf);
    const workers = Array.from({ length: 4 }, async () => {
      for (let k = keys.shift(); k !== undefined; k = keys.shift()) await this.refresh(k);
    });
    await Promise.all(workers);
  }

  private changed(p: Pipeline, verb: 'add' | 'update' | 'delete'): void {
    const key = keyOf(p);
    if (verb === 'delete' || !webhookSpecOf(p)) {
      this.drop(key);
      return;
    }
    // Status writes are most updates: only a new uid or webhook spec reads the Secret again.
    if (this.entries.get(key)?.fingerprint !== fingerprintOf(p)) void this.refresh(key);
  }

  /** Reads the Secret of `key` and updates its entry; requeues the Pipeline if its facts changed. */
  async refresh(key: string): Promise<void> {
    if (!this.o.receiving) return;
    const [namespace = '', name = ''] = key.split('/');
    const p = this.o.source.get(namespace, name);
    const spec = p && webhookSpecOf(p);
    if (!p || !spec) return this.drop(key);
    const mine = ++this.seq;
    this.reading.set(key, mine);
    const ref = spec.secretRef;
    const entry: Entry = { fingerprint: fingerprintOf(p), facts: {}, lastRead: this.now() };
    if (!ref?.name) entry.facts = { message: 'spec.triggers.webhook.secretRef.name is not set' };
    else {
      const secretKey = ref.key ?? DEFAULT_SECRET_KEY;
      const found = await readToken(this.o.getSecret, namespace, ref.name, secretKey);
      if (found.ok) {
        entry.token = found.token;
        entry.facts = { path: this.o.pathOf(found.token, name, namespace) };
      } else entry.facts = { message: found.message };
    }
    if (this.reading.get(key) !== mine) return;
    this.reading.delete(key);
    this.put(key, entry);
  }

  private put(key: string, entry: Entry): void {
    const before = this.entries.get(key);
    if (before?.facts.path) this.byPath.delete(before.facts.path);
    this.entries.set(key, entry);
    if (entry.facts.path) this.byPath.set(entry.facts.path, key);
    if (before?.facts.path !== entry.facts.path || before?.facts.message !== entry.facts.message) {
      this.o.log.info({ pipeline: key, path: entry.facts.path, message: entry.facts.message }, 'webhook path');
      this.o.source.requeue(key);
    }
  }

  private drop(key: string): void {
    const before = this.entries.get(key);
    this.reading.delete(key);
    if (!before) return;
    if (before.facts.path) this.byPath.delete(before.facts.path);
    this.entries.delete(key);
  }
}

function fingerprintOf(p: Pipeline): string {
  return `${p.metadata.uid ?? ''} ${JSON.stringify(webhookSpecOf(p) ?? null)}`;
}
