// The pure part of leader election: given the Lease as last read and when this process last saw
// it change, decide whether to renew, take over, or wait. Modelled on client-go's leaderelection:
// expiry is judged by this process's own clock from the moment it observed the record change,
// so clock skew between replicas does not matter.

export interface LeaseRecord {
  holderIdentity?: string;
  leaseDurationSeconds?: number;
  renewTime?: string;
}

export type LeaseDecision = 'renew' | 'acquire' | 'wait';

export function decideLease(
  record: LeaseRecord | undefined,
  identity: string,
  nowMs: number,
  observedAtMs: number,
  defaultDurationSeconds: number,
): LeaseDecision {
  if (!record?.holderIdentity) return 'acquire';
  if (record.holderIdentity === identity) return 'renew';
  const durationMs = (record.leaseDurationSeconds ?? defaultDurationSeconds) * 1000;
  return observedAtMs + durationMs <= nowMs ? 'acquire' : 'wait';
}

/** Identity of the record's current term: a change of either means the holder is alive. */
export function recordFingerprint(record: LeaseRecord | undefined): string {
  return `${record?.holderIdentity ?? ''}@${record?.renewTime ?? ''}`;
}
