// Whether an object that already exists under a name Conveyor wanted is Conveyor's own. Names are
// deterministic, so AlreadyExists usually means "created by an earlier reconcile" — but only the
// controller owner reference can tell that apart from an object someone else made with the same
// name. Conveyor never adopts such an object: it reports it (OwnershipConflict) instead.
import type { V1ObjectMeta, V1OwnerReference } from '@kubernetes/client-node';
import { GROUP, KIND } from '../api/constants.ts';

/**
 * An object Conveyor wanted to create already exists and is not the Pipeline's. Terminal: trying
 * again cannot help, a person has to rename or remove one of the two. `code` is 409 (what the
 * API server said); `body` has the shape of a Kubernetes Status, so describeError() prints the
 * message. Tell it apart with isOwnershipConflict(), or by `terminal === true` on an error.
 */
export class OwnershipConflict extends Error {
  readonly code = 409;
  readonly terminal = true;
  readonly reason = 'OwnershipConflict';
  readonly body: { kind: 'Status'; reason: string; message: string };

  constructor(message: string) {
    super(message);
    this.name = 'OwnershipConflict';
    this.body = { kind: 'Status', reason: this.reason, message };
  }
}

export function isOwnershipConflict(err: unknown): err is OwnershipConflict {
  return (
    err instanceof OwnershipConflict ||
    (typeof err === 'object' && err !== null && (err as { reason?: unknown }).reason === 'OwnershipConflict')
  );
}

/**
 * What to do with an existing object of the name Conveyor wanted:
 * - `ours`: its controller is the Pipeline we create for (same uid) — an earlier create landed.
 * - `stale`: its controller is an earlier Pipeline of the same name (other uid). A namespace holds
 *   one Pipeline of a name at a time, so that Pipeline is gone and the garbage collector is about
 *   to delete this object: retry later, never adopt (`kubectl delete` + `apply` in quick
 *   succession lands here).
 * - an OwnershipConflict naming the object and its owner: anything else.
 */
export type Ownership =
  | { verdict: 'ours' }
  | { verdict: 'stale'; message: string }
  | { verdict: 'conflict'; error: OwnershipConflict };

export function checkOwnership(
  kind: string,
  existing: V1ObjectMeta | undefined,
  wanted: V1ObjectMeta | undefined,
): Ownership {
  const name = existing?.name ?? wanted?.name ?? '';
  const mine = controllerOf(wanted);
  const theirs = controllerOf(existing);
  if (mine && theirs && theirs.uid === mine.uid) return { verdict: 'ours' };
  if (mine && theirs && isPipeline(theirs) && theirs.name === mine.name) {
    return {
      verdict: 'stale',
      message: `${kind} ${name} still belongs to an earlier Pipeline ${theirs.name} (uid ${theirs.uid}), which was deleted; waiting for the garbage collector to remove it`,
    };
  }
  const pipeline = mine ? ` ${mine.name}` : '';
  const message =
    `${kind} ${name} already exists and ${theirs ? `belongs to ${theirs.kind} ${theirs.name} (uid ${theirs.uid})` : describeNoController(existing)}; ` +
    `Conveyor does not adopt objects it did not create for this pipeline${pipeline}: rename or delete one of them`;
  return { verdict: 'conflict', error: new OwnershipConflict(message) };
}

function controllerOf(meta: V1ObjectMeta | undefined): V1OwnerReference | undefined {
  return meta?.ownerReferences?.find((r) => r.controller === true);
}

function isPipeline(ref: V1OwnerReference): boolean {
  return ref.kind === KIND && ref.apiVersion.startsWith(`${GROUP}/`);
}

function describeNoController(meta: V1ObjectMeta | undefined): string {
  const owners = meta?.ownerReferences ?? [];
  if (owners.length === 0) return 'has no owner';
  return `is not controlled by this pipeline (owners: ${owners.map((r) => `${r.kind} ${r.name}`).join(', ')})`;
}
