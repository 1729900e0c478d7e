// ResilientInformer's onListed: it comes once the list is in the cache, so an expectation it
// settles (controller/reconcile/expected-jobs.ts) is never dropped before its Job can be read.
import { describe, expect, it } from 'vitest';
import type { V1Job } from '@kubernetes/client-node';
import pino from 'pino';
import { ResilientInformer } from '../../../src/kube/informer.ts';
import { kubeConfigFor, serve } from './local-server.ts';

const listed: V1Job = { metadata: { name: 'etl-a-g1', namespace: 'data', resourceVersion: '7' } };

describe('ResilientInformer onListed', () => {
  it('is told when the list started, after the cache holds what it listed', async () => {
    // The watch is answered with headers and then nothing: only the list fills the cache.
    const server = await serve((req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      if (req.url?.includes('watch=true')) return void res.flushHeaders();
      res.end(JSON.stringify({ kind: 'JobList', metadata: { resourceVersion: '7' }, items: [listed] }));
    });
    const kc = kubeConfigFor(server);
    const before = Date.now();
    const seen: { startedAt: number; cached: boolean }[] = [];
    const done = new Promise<void>((resolve) => {
      const informer: ResilientInformer<V1Job> = new ResilientInformer<V1Job>(
        kc,
        {
          kind: 'jobs',
          path: '/apis/batch/v1/jobs',
          list: async () => {
            const res = await fetch(`${server}/apis/batch/v1/jobs`);
            return (await res.json()) as { items: V1Job[]; metadata: { resourceVersion: string } };
          },
          onListed: (startedAt) => {
            seen.push({ startedAt, cached: informer.get('etl-a-g1', 'data') !== undefined });
            resolve();
          },
        },
        pino({ level: 'silent' }),
        () => {},
      );
      void informer.start().then(() => done.finally(() => informer.stop()));
    });
    await done;
    expect(seen).toHaveLength(1);
    expect(seen[0]?.cached).toBe(true);
    expect(seen[0]?.startedAt).toBeGreaterThanOrEqual(before);
  });
});
