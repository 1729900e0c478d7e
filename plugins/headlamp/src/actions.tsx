// Run / retry / cancel, each shown only when a SelfSubjectAccessReview says the user may patch
// Pipelines in the namespace; a click writes the merge patch `conveyor run|retry|cancel` and the
// Console write (src/console/server/action-patch.ts). The API server checks the rights again.
import { ApiProxy } from '@kinvolk/headlamp-plugin/lib';
import Button from '@mui/material/Button';
import { useEffect, useState } from 'react';
import { actionDoneMessage, actionPatch } from '../../../src/console/server/action-patch.ts';
import { actionAccessReview, actionButtons, reviewAllows, type Pipeline, type PluginAction } from './model.ts';

const REVIEWS = '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews';

function pipelineUrl(namespace: string, name: string): string {
  return `/apis/conveyor.dev/v1alpha1/namespaces/${encodeURIComponent(namespace)}/pipelines/${encodeURIComponent(name)}`;
}

/** The review's answer: undefined while it is asked; false when it cannot be asked. */
function useMayPatch(namespace: string): { allowed?: boolean; error?: string } {
  const [state, setState] = useState<{ allowed?: boolean; error?: string }>({});
  useEffect(() => {
    let live = true;
    setState({});
    ApiProxy.post(REVIEWS, actionAccessReview(namespace), false).then(
      (review: unknown) => live && setState({ allowed: reviewAllows(review) }),
      (err: Error) => live && setState({ allowed: false, error: `could not check your rights: ${err.message}` }),
    );
    return () => {
      live = false;
    };
  }, [namespace]);
  return state;
}

type Result = { ok: boolean; message: string };

export function PipelineActions(props: { pipeline: Pipeline }) {
  const p = props.pipeline;
  const namespace = p.metadata.namespace ?? '';
  const name = p.metadata.name ?? '';
  const access = useMayPatch(namespace);
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<Result | undefined>(
    access.error ? { ok: false, message: access.error } : undefined,
  );
  if (access.allowed === undefined) return <div className="conveyor-actions" data-access="pending" />;
  const act = async (action: PluginAction, run: string | undefined) => {
    const request = run ? { run } : {};
    setBusy(true);
    try {
      await ApiProxy.patch(pipelineUrl(namespace, name), actionPatch(action, request, new Date()), false);
      setResult({ ok: true, message: actionDoneMessage(action, namespace, name, request) });
    } catch (err) {
      setResult({ ok: false, message: (err as Error).message });
    } finally {
      setBusy(false);
    }
  };
  const shown = result ?? (access.error ? { ok: false, message: access.error } : undefined);
  return (
    <div className="conveyor-actions" data-access="loaded" style={{ display: 'flex', gap: 8, alignItems: 'center' }}>
      {actionButtons(p, access.allowed).map((b) => (
        <Button
          key={b.action}
          variant="outlined"
          size="small"
          data-action={b.action}
          disabled={busy || !b.enabled}
          title={b.why}
          onClick={() => act(b.action, b.run)}
        >
          {b.label}
        </Button>
      ))}
      {shown ? (
        <span className="conveyor-action-result" data-ok={String(shown.ok)}>
          {shown.message}
        </span>
      ) : null}
    </div>
  );
}
