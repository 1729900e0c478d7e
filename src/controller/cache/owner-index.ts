// Which cached objects each owner controls, kept up to date from the informers' own add, update
// and delete notifications (client-node also sends deletes for objects that vanished across a
// relist). Gathering reads a Pipeline's objects from here instead of filtering every list.
import type { KubernetesObject } from '@kubernetes/client-node';

function keyOf(obj: KubernetesObject): string {
  return `${obj.metadata?.namespace ?? ''}/${obj.metadata?.name ?? ''}`;
}

/** The uid of an object's controller (its owner reference marked controller: true). */
export function controllerUid(obj: KubernetesObject): string | undefined {
  return (obj.metadata?.ownerReferences ?? []).find((ref) => ref.controller === true)?.uid;
}

export class OwnerIndex<T extends KubernetesObject> {
  private readonly byOwner = new Map<string, Map<string, T>>();
  private readonly ownerOf = new Map<string, string>();

  /** Feed one informer notification. */
  update(obj: T, verb: 'add' | 'update' | 'delete'): void {
    const key = keyOf(obj);
    this.forget(key);
    if (verb === 'delete') return;
    const owner = controllerUid(obj);
    if (!owner) return;
    let owned = this.byOwner.get(owner);
    if (!owned) this.byOwner.set(owner, (owned = new Map()));
    owned.set(key, obj);
    this.ownerOf.set(key, owner);
  }

  /** The indexed object with the same namespace and name as `obj` (the one before an update). */
  current(obj: KubernetesObject): T | undefined {
    const key = keyOf(obj);
    const owner = this.ownerOf.get(key);
    return owner === undefined ? undefined : this.byOwner.get(owner)?.get(key);
  }

  /** The objects `ownerUid` controls (empty when none, or no uid). */
  owned(ownerUid: string | undefined): T[] {
    if (!ownerUid) return [];
    const owned = this.byOwner.get(ownerUid);
    return owned ? [...owned.values()] : [];
  }

  size(): number {
    return this.ownerOf.size;
  }

  private forget(key: string): void {
    const owner = this.ownerOf.get(key);
    if (owner === undefined) return;
    this.ownerOf.delete(key);
    const owned = this.byOwner.get(owner);
    owned?.delete(key);
    if (owned?.size === 0) this.byOwner.delete(owner);
  }
}
