// Leader election with a coordination.k8s.io Lease, so that of several operator replicas exactly
// one reconciles. The leader renews every retryPeriod; if it cannot renew for renewDeadline it
// stops leading (the caller exits, and a restarted process stands in line again). A standby
// takes over once the record has not changed for a whole lease duration.
//
// Why the leader steps down in time: a standby's lease-duration clock starts when its read
// returns a changed record, which is after the leader's write landed, which is after that
// renewal attempt began. The leader counts renewDeadline from the start of its last successful
// attempt, and every request of an attempt must be answered by then (answerBy) or it is cut off,
// so a leader whose API server hangs reports the loss at renewDeadline, before any standby can
// take over at leaseDuration (> renewDeadline). Without that deadline a renewal could hang for
// the client's 30 s while the lease lasts 15.
import type * as k8s from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { describeError, isConflict, isNotFound, isAlreadyExists } from '../../kube/errors.ts';
import { answerBy } from '../../kube/client.ts';
import { decideLease, recordFingerprint } from './lease.ts';
import { setLeaderProbe } from '../../metrics.ts';

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
  /** When the attempt that last acquired or renewed the lease began: the leader's clock. */
  private renewedAt = 0;
  private leading = false;
  private stopped = false;

  constructor(api: k8s.CoordinationV1Api, opts: LeaderElectionOptions, log: Logger) {
    // The leader must give up (at renewDeadline) before a standby may take over (at leaseDuration).
    if (
      !(
        opts.leaseDurationSeconds > opts.renewDeadlineSeconds &&
        opts.renewDeadlineSeconds > 0 &&
        opts.retryPeriodSeconds > 0
      )
    ) {
      throw new RangeError(
        `leader election: expected leaseDuration > renewDeadline > 0 and retryPeriod > 0, got ${JSON.stringify(opts)}`,
      );
    }
    this.api = api;
    this.opts = opts;
    this.log = log.child({ lease: `${opts.namespace}/${opts.name}`, identity: opts.identity });
    setLeaderProbe(() => this.leading); // conveyor_leader: alerts see a replica standing by
  }

  isLeader(): boolean {
    return this.leading;
  }

  /** Resolves when this process has become the leader (or was stopped first). */
  async acquire(): Promise<boolean> {
    this.log.info('waiting to become leader');
    while (!this.stopped) {
      const startedAt = Date.now();
      if (await this.tryAcquireOrRenew(startedAt + this.renewDeadlineMs())) {
        this.renewedAt = startedAt;
        this.leading = true;
        this.log.info('became leader');
        return true;
      }
      await sleep(this.opts.retryPeriodSeconds * 1000);
    }
    return false;
  }

  /** Renews every retryPeriod; once renewDeadline has passed since the last renewal, calls onLost once. */
  keepRenewing(onLost: () => void): void {
    const loop = async (): Promise<void> => {
      await sleep(this.opts.retryPeriodSeconds * 1000);
      while (!this.stopped && this.leading) {
        const deadlineAt = this.renewedAt + this.renewDeadlineMs();
        const startedAt = Date.now();
        if (startedAt >= deadlineAt) return this.lose(onLost);
        if (await this.tryAcquireOrRenew(deadlineAt)) this.renewedAt = startedAt;
        if (this.stopped) return;
        // After a failure, wake no later than the deadline, so the loss is reported on time.
        const nextDeadline = this.renewedAt + this.renewDeadlineMs();
        await sleep(Math.min(this.opts.retryPeriodSeconds * 1000, Math.max(0, nextDeadline - Date.now())));
      }
    };
    void loop();
  }

  /** Stops renewing and gives the lease up so a standby takes over at once. */
  async release(): Promise<void> {
    this.stopped = true;
    if (!this.leading) return;
    this.leading = false;
    // Bounded like a renewal, so a hung API server cannot hold up shutdown.
    const options = answerBy(Date.now() + this.renewDeadlineMs());
    try {
      const lease = await this.api.readNamespacedLease(
        { name: this.opts.name, namespace: this.opts.namespace },
        options,
      );
      if (lease.spec?.holderIdentity !== this.opts.identity) return;
      lease.spec = {
        ...lease.spec,
        holderIdentity: undefined,
        renewTime: undefined,
        acquireTime: undefined,
        leaseDurationSeconds: 1,
      };
      await this.api.replaceNamespacedLease(
        { name: this.opts.name, namespace: this.opts.namespace, body: lease },
        options,
      );
      this.log.info('released leadership');
    } catch (err) {
      this.log.warn({ err: describeError(err) }, 'could not release the lease');
    }
  }

  private renewDeadlineMs(): number {
    return this.opts.renewDeadlineSeconds * 1000;
  }

  private lose(onLost: () => void): void {
    this.leading = false;
    this.log.error('lost leadership: could not renew the lease in time');
    onLost();
  }

  /** One attempt: read the Lease, then create, renew or take it over. Every call ends by deadlineAt. */
  private async tryAcquireOrRenew(deadlineAt: number): Promise<boolean> {
    const options = answerBy(deadlineAt);
    const { name, namespace } = this.opts;
    let lease: k8s.V1Lease;
    try {
      lease = await this.api.readNamespacedLease({ name, namespace }, options);
    } catch (err) {
      if (isNotFound(err)) return this.createLease(options);
      this.log.warn({ err: describeError(err) }, 'could not read the lease');
      return false;
    }
    return this.renewOrTakeOver(lease, options);
  }

  private async createLease(options: k8s.ConfigurationOptions): Promise<boolean> {
    const { name, namespace, identity, leaseDurationSeconds } = this.opts;
    const stamp = microTime(new Date());
    try {
      await this.api.createNamespacedLease(
        {
          namespace,
          body: {
            metadata: { name, namespace },
            spec: {
              holderIdentity: identity,
              leaseDurationSeconds,
              acquireTime: stamp,
              renewTime: stamp,
              leaseTransitions: 0,
            },
          },
        },
        options,
      );
      return true;
    } catch (err) {
      if (!isAlreadyExists(err)) this.log.warn({ err: describeError(err) }, 'could not create the lease');
      return false;
    }
  }

  private async renewOrTakeOver(lease: k8s.V1Lease, options: k8s.ConfigurationOptions): Promise<boolean> {
    const { name, namespace, identity, leaseDurationSeconds } = this.opts;
    // Taken after the read returned, as client-go does: a standby whose read was slow must not
    // date the record it saw earlier than it could have been written.
    const now = new Date();
    const stamp = microTime(now);
    const spec = lease.spec ?? {};
    const record = {
      holderIdentity: spec.holderIdentity,
      leaseDurationSeconds: spec.leaseDurationSeconds,
      renewTime: spec.renewTime ? new Date(spec.renewTime as unknown as string).toISOString() : undefined,
    };
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
      ...(takingOver
        ? { acquireTime: stamp, leaseTransitions: (spec.leaseTransitions ?? 0) + (spec.holderIdentity ? 1 : 0) }
        : {}),
    };
    try {
      // resourceVersion in the body makes this a compare-and-swap: two standbys cannot both win.
      await this.api.replaceNamespacedLease({ name, namespace, body: lease }, options);
      if (takingOver) this.log.info({ previous: spec.holderIdentity }, 'took over the lease');
      return true;
    } catch (err) {
      if (!isConflict(err)) this.log.warn({ err: describeError(err) }, 'could not update the lease');
      return false;
    }
  }
}
