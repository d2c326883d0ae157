/**
 * A fixed set of numbered slots: at most `size` holders at a time, each with its own index (the
 * index picks the sandbox uid, so no two concurrent runs share a uid or its process limit).
 */
export class SlotPool {
  private free: number[];
  private waiters: ((slot: number) => void)[] = [];

  constructor(readonly size: number) {
    this.free = Array.from({ length: size }, (_, i) => i);
  }

  /** Waits for a free slot and takes it. */
  acquire(): Promise<number> {
    const slot = this.free.shift();
    if (slot !== undefined) return Promise.resolve(slot);
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Gives a slot back (to the longest waiter first). */
  release(slot: number): void {
    const next = this.waiters.shift();
    if (next) next(slot);
    else this.free.push(slot);
  }
}
