// The ready list of the work queue: a FIFO per namespace, served round-robin over the namespaces
// that have keys waiting. One namespace with 5,000 queued Pipelines therefore delays a namespace
// with 5 by at most one key per other busy namespace, instead of by all 5,000 (a single FIFO).
// Within a namespace, keys keep their arrival order. Keys are "namespace/name"; a key without a
// slash belongs to the namespace "".

/** A FIFO that does not shift an array (O(1) take; the spent head is dropped now and then). */
class Fifo {
  private items: string[] = [];
  private head = 0;

  get size(): number {
    return this.items.length - this.head;
  }

  push(item: string): void {
    this.items.push(item);
  }

  take(): string | undefined {
    if (this.head >= this.items.length) return undefined;
    const item = this.items[this.head++];
    // Compact once the spent part is both large and most of the array.
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return item;
  }
}

export function namespaceOf(key: string): string {
  const slash = key.indexOf('/');
  return slash < 0 ? '' : key.slice(0, slash);
}

export class FairFifo {
  /** Keys waiting, per namespace; a namespace is here only while it has keys. */
  private readonly byNamespace = new Map<string, Fifo>();
  /** Namespaces with keys waiting, in the order they are served next. */
  private turns = new Fifo();
  private count = 0;

  get size(): number {
    return this.count;
  }

  /** Appends a key to its namespace's FIFO (de-duplication is the caller's job). */
  push(key: string): void {
    const ns = namespaceOf(key);
    let fifo = this.byNamespace.get(ns);
    if (!fifo) {
      this.byNamespace.set(ns, (fifo = new Fifo()));
      this.turns.push(ns);
    }
    fifo.push(key);
    this.count++;
  }

  /** The oldest key of the namespace whose turn it is; that namespace then goes to the back. */
  take(): string | undefined {
    const ns = this.turns.take();
    if (ns === undefined) return undefined;
    const fifo = this.byNamespace.get(ns);
    const key = fifo?.take();
    if (!fifo || key === undefined) {
      // Unreachable while push/take are the only writers; keeps the structure consistent anyway.
      this.byNamespace.delete(ns);
      return this.take();
    }
    this.count--;
    if (fifo.size > 0) this.turns.push(ns);
    else this.byNamespace.delete(ns);
    return key;
  }

  clear(): void {
    this.byNamespace.clear();
    this.turns = new Fifo();
    this.count = 0;
  }
}
