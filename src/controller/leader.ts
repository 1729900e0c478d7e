// Leader election with a coordination.k8s.io Lease, so that of several operator replicas exactly
// one reconciles. The leader renews every retryPeriod; if it cannot renew for renewDeadline it
// stops leading (the caller exits, and a restarted process stands in line again). A standby
// takes over once the record has not changed for a whole lease duration.
import type * as k8s from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { describeError, isConflict, isNotFound, isAlreadyExists } from '../kube/errors.ts';
import { decideLease, recordFingerprint } from './lease.ts';

export interface LeaderElectionOptions {
  namespace: string;
  name: string;
  identity: string;
  leaseDurationSeconds: number;
  renewDeadlineSeconds: number;
  retryPeriodSeconds: number;
}

export const DEFAULT_LEASE = { leaseDurationSeconds: 15, renewDeadlineSeconds: 10, retryPeriodSeconds: 2 };

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms).unref());

/** Lease times are MicroTime: RFC 3339 with exactly six fractional digits (the API rejects three). */
export function microTime(date: Date): Date {
  return date.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z') as unknown as Date;
}

export class LeaderElector {
  private readonly api: k8s.CoordinationV1Api;
  private readonly opts: LeaderElectionOptions;
  private readonly log: Logger;
  private observed = '';
  private observedAt = 0;
  private leading = false;
  private stopped = false;

  constructor(api: k8s.CoordinationV1Api, opts: LeaderElectionOptions, log: Logger) {
    this.api = api;
    this.opts = opts;
    this.log = log.child({ lease: `${opts.namespace}/${opts.name}`, identity: opts.identity });
  }

  isLeader(): boolean {
    return this.leading;
  }

  /** Resolves when this process has become the leader (or was stopped first). */
  async acquire(): Promise<boolean> {
    this.log.info('waiting to become leader');
    while (!this.stopped) {
      if (await this.tryAcquireOrRenew()) {
        this.leading = true;
        this.log.info('became leader');
        return true;
      }
      await sleep(this.opts.retryPeriodSeconds * 1000);
    }
    return false;
  }

  /** Renews until renewal fails for renewDeadline; then calls onLost once. */
  keepRenewing(onLost: () => void): void {
    let lastRenew = Date.now();
    const loop = async (): Promise<void> => {
      while (!this.stopped && this.leading) {
        await sleep(this.opts.retryPeriodSeconds * 1000);
        if (this.stopped) return;
        if (await this.tryAcquireOrRenew()) {
          lastRenew = Date.now();
        } else if (Date.now() - lastRenew > this.opts.renewDeadlineSeconds * 1000) {
          this.leading = false;
          this.log.error('lost leadership: could not renew the lease in time');
          onLost();
          return;
        }
      }
    };
    void loop();
  }

  /** Stops renewing and gives the lease up so a standby takes over at once. */
  async release(): Promise<void> {
    this.stopped = true;
    if (!this.leading) return;
    this.leading = false;
    try {
      const lease = await this.api.readNamespacedLease({ name: this.opts.name, namespace: this.opts.namespace });
      if (lease.spec?.holderIdentity !== this.opts.identity) return;
      lease.spec = { ...lease.spec, holderIdentity: undefined, renewTime: undefined, acquireTime: undefined, leaseDurationSeconds: 1 };
      await this.api.replaceNamespacedLease({ name: this.opts.name, namespace: this.opts.namespace, body: lease });
      this.log.info('released leadership');
    } catch (err) {
      this.log.warn({ err: describeError(err) }, 'could not release the lease');
    }
  }

  private async tryAcquireOrRenew(): Promise<boolean> {
    const now = new Date();
    const stamp = microTime(now);
    const { name, namespace, identity, leaseDurationSeconds } = this.opts;
    let lease: k8s.V1Lease;
    try {
      lease = await this.api.readNamespacedLease({ name, namespace });
    } catch (err) {
      if (!isNotFound(err)) {
        this.log.warn({ err: describeError(err) }, 'could not read the lease');
        return false;
      }
      try {
        await this.api.createNamespacedLease({
          namespace,
          body: { metadata: { name, namespace }, spec: { holderIdentity: identity, leaseDurationSeconds, acquireTime: stamp, renewTime: stamp, leaseTransitions: 0 } },
        });
        return true;
      } catch (createErr) {
        if (!isAlreadyExists(createErr)) this.log.warn({ err: describeError(createErr) }, 'could not create the lease');
        return false;
      }
    }
    const spec = lease.spec ?? {};
    const record = { holderIdentity: spec.holderIdentity, leaseDurationSeconds: spec.leaseDurationSeconds, renewTime: spec.renewTime ? new Date(spec.renewTime as unknown as string).toISOString() : undefined };
    const fingerprint = recordFingerprint(record);
    if (fingerprint !== this.observed) {
      this.observed = fingerprint;
      this.observedAt = now.getTime();
    }
    const decision = decideLease(record, identity, now.getTime(), this.observedAt, leaseDurationSeconds);
    if (decision === 'wait') return false;
    const takingOver = decision === 'acquire';
    lease.spec = {
      ...spec,
      holderIdentity: identity,
      leaseDurationSeconds,
      renewTime: stamp,
      ...(takingOver ? { acquireTime: stamp, leaseTransitions: (spec.leaseTransitions ?? 0) + (spec.holderIdentity ? 1 : 0) } : {}),
    };
    try {
      // resourceVersion in the body makes this a compare-and-swap: two standbys cannot both win.
      await this.api.replaceNamespacedLease({ name, namespace, body: lease });
      if (takingOver) this.log.info({ previous: spec.holderIdentity }, 'took over the lease');
      return true;
    } catch (err) {
      if (!isConflict(err)) this.log.warn({ err: describeError(err) }, 'could not update the lease');
      return false;
    }
  }
}
