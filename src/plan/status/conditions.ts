// kstatus conditions (Ready, Reconciling, Stalled) from the pipeline's state. A condition keeps
// its lastTransitionTime while its status stays the same, so re-planning does not churn status.
import type { Condition } from '../../api/types.ts';
import { trimMessage } from '../observed.ts';
import { iso } from '../time.ts';

const MAX_CONDITION_MESSAGE = 1000;

export type DesiredCondition = Pick<Condition, 'type' | 'status' | 'reason' | 'message'>;

/**
 * Exactly the `desired` conditions (others, e.g. a Reconciling that no longer applies, are
 * removed), each stamped with the generation they describe.
 */
export function toConditions(
  desired: DesiredCondition[],
  previous: Condition[] | undefined,
  generation: number,
  now: Date,
): Condition[] {
  const before = Array.isArray(previous) ? previous : [];
  return desired.map((want) => {
    const old = before.find((c) => c?.type === want.type);
    const lastTransitionTime =
      old && old.status === want.status && old.lastTransitionTime ? old.lastTransitionTime : iso(now);
    return {
      type: want.type,
      status: want.status,
      reason: want.reason,
      message: trimMessage(want.message, MAX_CONDITION_MESSAGE) ?? '',
      lastTransitionTime,
      observedGeneration: generation,
    };
  });
}

/** A run is going: not ready yet, and the controller is working towards it. */
export function inProgress(reason: string, message: string): DesiredCondition[] {
  return [
    { type: 'Ready', status: 'False', reason, message },
    { type: 'Reconciling', status: 'True', reason, message },
  ];
}

/** The latest run succeeded with the current generation. */
export function ready(reason: string, message: string): DesiredCondition[] {
  return [{ type: 'Ready', status: 'True', reason, message }];
}

/** Nothing more will happen without a change (a failed run, an invalid spec). */
export function stalled(reason: string, message: string): DesiredCondition[] {
  return [
    { type: 'Ready', status: 'False', reason, message },
    { type: 'Stalled', status: 'True', reason, message },
  ];
}
