// LeaderElector against a real HTTP Lease API on 127.0.0.1 (a small in-memory one with
// compare-and-swap on resourceVersion, as the API server does). Two electors share it; the server
// tells them apart by their bearer token and can stop answering one of them, as a wedged API
// server or a partitioned leader would look. Timing is scaled down (seconds as fractions).
import type { IncomingMessage, ServerResponse } from 'node:http';
import { describe, expect, it } from 'vitest';
import * as k8s from '@kubernetes/client-node';
import pino from 'pino';
import { makeApiClient } from '../../../src/kube/client.ts';
import { LeaderElector, type LeaderElectionOptions } from '../../../src/controller/runtime/leader-election.ts';
import { kubeConfigFor, serve } from '../kube/local-server.ts';

const PATH = '/apis/coordination.k8s.io/v1/namespaces/ops/leases';
const TIMES = { leaseDurationSeconds: 2, renewDeadlineSeconds: 1, retryPeriodSeconds: 0.2 };

type Lease = { metadata: { name: string; resourceVersion?: string }; spec?: { holderIdentity?: string } };

/** One Lease collection. `hung` holds the tokens whose requests are never answered. */
class LeaseServer {
  lease: Lease | undefined;
  readonly hung = new Set<string>();
  /** When each token last got a successful write answered. */
  readonly lastWriteAt = new Map<string, number>();
  private version = 0;

  readonly route = (req: IncomingMessage, res: ServerResponse): void => {
    const token = (req.headers.authorization ?? '').replace('Bearer ', '');
    if (this.hung.has(token)) return;
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      const [status, answer] = this.answer(req.method ?? '', req.url ?? '', body);
      if (status < 300 && req.method !== 'GET') this.lastWriteAt.set(token, Date.now());
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(answer));
    });
  };

  private answer(method: string, url: string, body: string): [number, object] {
    if (method === 'GET') return this.lease && url === `${PATH}/leader` ? [200, this.lease] : status(404, 'NotFound');
    const sent = JSON.parse(body) as Lease;
    if (method === 'POST' && this.lease) return status(409, 'AlreadyExists');
    if (method === 'PUT' && sent.metadata.resourceVersion !== this.lease?.metadata.resourceVersion)
      return status(409, 'Conflict');
    this.lease = { ...sent, metadata: { ...sent.metadata, resourceVersion: String(++this.version) } };
    return [method === 'POST' ? 201 : 200, this.lease];
  }
}

function status(code: number, reason: string): [number, object] {
  return [code, { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason, code }];
}

/** An elector with the operator's client (its default 30 s per-call deadline). */
function elector(server: string, identity: string, times: Partial<LeaderElectionOptions> = TIMES): LeaderElector {
  const api = makeApiClient(kubeConfigFor(server, identity), k8s.CoordinationV1Api);
  return new LeaderElector(
    api,
    { namespace: 'ops', name: 'leader', identity, ...TIMES, ...times },
    pino({ level: 'silent' }),
  );
}

const until = async (what: string, check: () => boolean, ms = 3_000): Promise<void> => {
  for (const end = Date.now() + ms; !check(); await new Promise((r) => setTimeout(r, 20))) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
  }
};

describe('LeaderElector over HTTP', () => {
  it('a leader whose API server stops answering steps down before a standby can take over', async () => {
    const leases = new LeaseServer();
    const url = await serve(leases.route);
    const a = elector(url, 'a');
    const b = elector(url, 'b');
    expect(await a.acquire()).toBe(true);
    let lostAt: number | undefined;
    a.keepRenewing(() => (lostAt = Date.now()));
    let tookOverAt: number | undefined;
    const standby = b.acquire().then(() => (tookOverAt = Date.now()));

    // Renewals that are answered keep the lease.
    const firstWrite = leases.lastWriteAt.get('a');
    await until('a renewal', () => leases.lastWriteAt.get('a') !== firstWrite);
    expect(a.isLeader()).toBe(true);

    leases.hung.add('a'); // every later request of the leader hangs (the client alone would wait 30 s)
    await standby;
    await until('the leader to report the loss', () => lostAt !== undefined, 2_000);

    expect(leases.lease?.spec?.holderIdentity).toBe('b');
    expect(a.isLeader()).toBe(false);
    // The correctness bound: the old leader had stopped before the new one started, and within
    // renewDeadline of its last renewal (the lease's own clock starts no earlier than that).
    expect(lostAt!).toBeLessThan(tookOverAt!);
    expect(lostAt! - leases.lastWriteAt.get('a')!).toBeLessThan(TIMES.leaseDurationSeconds * 1000);
    await b.release();
  });

  it('release gives up on a hung API server within renewDeadline, so shutdown is not held up', async () => {
    const leases = new LeaseServer();
    const url = await serve(leases.route);
    const a = elector(url, 'a');
    expect(await a.acquire()).toBe(true);
    leases.hung.add('a');
    const outcome = await Promise.race([
      a.release().then(() => 'returned'),
      new Promise((r) => setTimeout(r, TIMES.leaseDurationSeconds * 1000, 'still waiting')),
    ]);
    expect(outcome).toBe('returned');
    expect(leases.lease?.spec?.holderIdentity).toBe('a'); // not released: the standby waits out the lease
  });

  it('an acquire attempt that hangs is cut off and retried', async () => {
    const leases = new LeaseServer();
    const url = await serve(leases.route);
    const a = elector(url, 'a');
    leases.hung.add('a');
    const acquired = a.acquire();
    await new Promise((r) => setTimeout(r, 300));
    leases.hung.delete('a'); // the API server recovers; only a new attempt can see it
    const outcome = await Promise.race([acquired, new Promise((r) => setTimeout(r, 3_000, 'still waiting'))]);
    expect(outcome).toBe(true);
    await a.release();
  });

  it('refuses a renew deadline that is not shorter than the lease', () => {
    expect(() => elector('http://127.0.0.1:1', 'a', { renewDeadlineSeconds: 2 })).toThrow(RangeError);
    expect(() => elector('http://127.0.0.1:1', 'a', { retryPeriodSeconds: 0 })).toThrow(RangeError);
  });
});
