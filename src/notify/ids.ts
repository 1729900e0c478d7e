// Deterministic identities of what Conveyor notifies: an event id for CloudEvents and a UUID per
// OpenLineage run. Both are hashes of what the event is about — never of when it was noticed — so
// the same fact sent again (after a crash, by a new leader) carries the same id and a receiver can
// drop the duplicate. That is the at-least-once contract of docs/integrations.md.
import { createHash } from 'node:crypto';

function sha256(parts: readonly (string | number)[]): Buffer {
  // JSON of the list: unambiguous where joining with a separator would not be ("a-b" + "c").
  return createHash('sha256').update(JSON.stringify(parts)).digest();
}

/** 32 hex characters (128 bits) of sha256 over (pipeline uid, run, stage, attempt, type). */
export function lifecycleEventId(uid: string, run: string, stage: string, attempt: number, type: string): string {
  return sha256([uid, run, stage, attempt, type]).toString('hex').slice(0, 32);
}

/**
 * A name-based UUID: the first 128 bits of sha256 over `parts`, with the version set to 8 and the
 * RFC 4122 variant. Version 8 (RFC 9562 §5.8) is the one for hashes other than MD5 (v3) and SHA-1
 * (v5); RFC 9562 Appendix B.2 shows exactly this SHA-256 name-based use. Not v7, which
 * OpenLineage's clients prefer for time-ordered ids: its leading 48 bits are a timestamp, and no
 * time in status is fixed early enough for every event of a run to agree on it.
 */
export function nameBasedUuid(parts: readonly (string | number)[]): string {
  const bytes = sha256(parts).subarray(0, 16);
  bytes[6] = ((bytes[6] ?? 0) & 0x0f) | 0x80; // version 8
  bytes[8] = ((bytes[8] ?? 0) & 0x3f) | 0x80; // variant 10xx
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
