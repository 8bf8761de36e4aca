/**
 * What waits for a worker's replies, under small integer ids that the replies carry back; an id is reused once its
 * reply is taken. Not a Map keyed by an ever-growing counter: the local server's main thread, handing each request to
 * a worker, promoted ~880 bytes per request into the old generation with one (node --trace-gc-nvp, penguins at 16
 * connections: 4 bytes with these slots), and paid for them in full collections.
 */
export class WaitingSlots<T> {
  private readonly slots: (T | undefined)[] = [];
  private readonly free: number[] = [];

  /** How many wait now. */
  get size(): number {
    return this.slots.length - this.free.length;
  }

  /** Keeps `waiting` until its reply comes; returns the id the request carries. */
  add(waiting: T): number {
    const id = this.free.pop() ?? this.slots.length;
    this.slots[id] = waiting;
    return id;
  }

  /** What waits under `id`, given up by the slots; undefined for an id with nothing waiting. */
  take(id: number): T | undefined {
    const waiting = this.slots[id];
    if (waiting === undefined) return undefined;
    this.slots[id] = undefined;
    this.free.push(id);
    return waiting;
  }

  /** Everything still waiting, given up by the slots (a worker that exited answers none of it). */
  takeAll(): T[] {
    const waiting: T[] = [];
    for (let id = 0; id < this.slots.length; id++) {
      const entry = this.take(id);
      if (entry !== undefined) waiting.push(entry);
    }
    return waiting;
  }
}
