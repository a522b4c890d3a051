/**
 * The global job budget. The scheduler takes one slot for every task it starts and gives it back
 * when the task ends; the jobserver implementation shares the same slots with every make.
 */
export interface Budget {
  /** Resolves once a slot is held; rejects if `signal` aborts first. */
  acquire(signal?: AbortSignal): Promise<void>;
  release(): void;
}

/** An in-process budget of `size` slots, for runs that start no make (and for tests). */
export class CounterBudget implements Budget {
  private free: number;
  private readonly waiters: Array<() => void> = [];

  constructor(readonly size: number) {
    if (!Number.isInteger(size) || size < 1) throw new RangeError(`a budget needs at least one slot, got ${size}`);
    this.free = size;
  }

  acquire(signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(signal.reason as Error);
    if (this.free > 0) {
      this.free -= 1;
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => {
      const grant = (): void => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      };
      const onAbort = (): void => {
        const index = this.waiters.indexOf(grant);
        if (index >= 0) this.waiters.splice(index, 1);
        reject(signal!.reason as Error);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiters.push(grant);
    });
  }

  release(): void {
    const next = this.waiters.shift();
    if (next) next();
    else this.free += 1;
  }
}

/** Runs `work` holding one slot of `budget`, giving the slot back however `work` ends. */
export async function withSlot<T>(budget: Budget, work: () => Promise<T>, signal?: AbortSignal): Promise<T> {
  await budget.acquire(signal);
  try {
    return await work();
  } finally {
    budget.release();
  }
}
