// Which action buttons make sense for a Pipeline and a run (run now, retry from failure, cancel,
// suspend or resume), in the Console's words; whether each is shown at all is the user's access
// (a SelfSubjectAccessReview). Pure, shared by the Console and the Headlamp plugin.
import type { ActionName, Pipeline } from '../../protocol.ts';

/** The little of a run the buttons depend on. */
export type RunRef = { id: string; phase?: string };

export type ActionButton = { action: ActionName; label: string; run?: string; enabled: boolean; why: string };

/** Which buttons make sense for this pipeline and run (access decides which are shown at all). */
export function buttonsFor(p: Pipeline, selected: RunRef | undefined, active: RunRef | undefined): ActionButton[] {
  const suspended = Boolean(p.spec.suspend);
  const failed = selected?.phase === 'Failed';
  return [
    {
      action: 'run',
      label: 'Run now',
      enabled: !suspended,
      why: suspended ? 'the pipeline is suspended' : 'start a new run',
    },
    {
      action: 'retry',
      label: 'Retry from failure',
      run: selected?.id,
      enabled: failed,
      why: failed ? `re-run the failed stages of ${selected!.id}` : 'the selected run has not failed',
    },
    {
      action: 'cancel',
      label: 'Cancel run',
      run: active?.id,
      enabled: Boolean(active),
      why: active ? `cancel ${active.id}` : 'no run is active',
    },
    suspended
      ? { action: 'resume', label: 'Resume', enabled: true, why: 'start runs again' }
      : { action: 'suspend', label: 'Suspend', enabled: true, why: 'start no new runs' },
  ];
}
