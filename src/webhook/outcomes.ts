// What the receiver answers for each outcome of a delivery: one status code per outcome, and
// the outcome is the label of conveyor_webhook_deliveries_total.

export const OUTCOMES = [
  'accepted',
  'duplicate',
  'ignored',
  'bad_signature',
  'too_large',
  'bad_method',
  'bad_content_type',
  'unknown_path',
  'bad_params',
  'rate_limited',
  'unavailable',
] as const;

export type Outcome = (typeof OUTCOMES)[number];

/**
 * The status code of each outcome. bad_signature is 401 when no signature (or token) was sent at
 * all and 403 when one was sent and is wrong; the receiver picks between the two.
 */
export const STATUS_OF: Record<Exclude<Outcome, 'bad_signature'>, number> = {
  accepted: 202,
  duplicate: 200,
  ignored: 200,
  too_large: 413,
  bad_method: 405,
  bad_content_type: 415,
  unknown_path: 404,
  bad_params: 422,
  rate_limited: 429,
  unavailable: 503,
};

/** Outcomes that are refusals: each is recorded as a Warning Event on the Pipeline when one is known. */
export function isRefusal(outcome: Outcome): boolean {
  return outcome !== 'accepted' && outcome !== 'duplicate' && outcome !== 'ignored';
}
