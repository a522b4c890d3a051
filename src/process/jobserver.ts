import { constants, closeSync, openSync, readSync, rmSync, writeSync } from 'node:fs';
import { SpawnerError, closeSpawner, makeJobserverFifo } from './spawner.js';
import { HermitError } from '../errors.js';
import type { Budget } from './budget.js';

/** Where the jobserver's descriptors appear in every step's process (make reads them from MAKEFLAGS). */
export const JOBSERVER_CHILD_FDS = [3, 4] as const;

const TOKEN = Buffer.from('+');
/** Where a token read from the pipe goes (its value does not matter). */
const TAKEN = Buffer.alloc(1);
const POLL_MIN_MS = 5;
const POLL_MAX_MS = 50;

export class JobserverError extends HermitError {}

/**
 * A GNU make jobserver shared by the scheduler and every make a step starts. It is a pipe (a
 * FIFO, since Node has no pipe(2)) holding one byte per free job slot. The scheduler takes a
 * token for each task it starts; that token is the implicit slot of the task's first process,
 * and each make takes more tokens from the same pipe for its parallel jobs. So the number of
 * jobs across every running task never exceeds the budget.
 */
export class Jobserver implements Budget {
  /** Tokens taken out of the pipe and not written back, `spare` included. */
  private held = 0;
  /**
   * Tokens given back by a finished task and not written to the pipe yet: the next task, which
   * the scheduler usually starts in the same turn of the event loop, takes one of these instead
   * of a write and a read of the pipe (on a VM each system call counts in a graph of many small
   * tasks). Whatever is left is written back before anything else runs (`flushSoon`), so makes
   * waiting on the pipe get it then.
   */
  private spare = 0;
  private flushing = false;
  private closed = false;
  /** Waiters woken at once when this process gives a token back (no need to poll for those). */
  private wakers: Array<() => void> = [];

  private constructor(
    readonly size: number,
    /** Non-blocking descriptor the scheduler reads and writes tokens through. */
    private readonly own: number,
    /** Blocking descriptors handed to children, as make expects them. */
    readonly childRead: number,
    readonly childWrite: number,
  ) {}

  /**
   * Makes the FIFO `fifo` (a fresh name, removed once open) and fills it with tokens. The step
   * spawner makes it (see makeJobserverFifo), and its steps inherit its ends.
   */
  static async create(fifo: string, size: number): Promise<Jobserver> {
    if (!Number.isInteger(size) || size < 1) throw new RangeError(`a jobserver needs at least one slot, got ${size}`);
    const opened: number[] = [];
    try {
      await makeJobserverFifo(fifo, () => {
        // Our end is opened read-write first so that the blocking opens below find a writer and
        // a reader and return at once. Separate opens give separate O_NONBLOCK flags.
        for (const flags of [constants.O_RDWR | constants.O_NONBLOCK, constants.O_RDONLY, constants.O_WRONLY]) opened.push(openSync(fifo, flags));
        return opened.slice(1);
      });
    } catch (error) {
      for (const fd of opened) closeSync(fd);
      if (error instanceof SpawnerError) throw new JobserverError(error.message, { cause: error });
      throw error;
    } finally {
      // The descriptors keep the pipe alive; nothing needs its name any more.
      rmSync(fifo, { force: true });
    }
    const [own, childRead, childWrite] = opened as [number, number, number];
    const server = new Jobserver(size, own, childRead, childWrite);
    server.refill();
    return server;
  }

  /** MAKEFLAGS for a step's environment: make becomes a client of this jobserver. */
  makeflags(existing: string | undefined): string {
    const [r, w] = JOBSERVER_CHILD_FDS;
    const kept = (existing ?? '')
      .split(/\s+/)
      .filter((flag) => flag && !/^-j\d*$/.test(flag) && !flag.startsWith('--jobserver-auth=') && !flag.startsWith('--jobserver-fds='));
    return [...kept, `-j${this.size}`, `--jobserver-auth=${r},${w}`].join(' ');
  }

  /** Extra stdio entries (fds 3 and 4) for a child process. */
  get childStdio(): [number, number] {
    return [this.childRead, this.childWrite];
  }

  private tryTake(): boolean {
    try {
      return readSync(this.own, TAKEN, 0, 1, null) === 1;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EAGAIN' || code === 'EWOULDBLOCK') return false;
      throw error;
    }
  }

  async acquire(signal?: AbortSignal): Promise<void> {
    let delay = POLL_MIN_MS;
    for (;;) {
      if (signal?.aborted) throw signal.reason as Error;
      if (this.closed) throw new Error('jobserver closed');
      if (this.spare > 0) {
        this.spare -= 1;
        return;
      }
      if (this.tryTake()) {
        this.held += 1;
        return;
      }
      // make gives tokens back by writing to the pipe, which Node cannot wait on without
      // reading (and so stealing) them: poll, backing off while the machine is busy. Tokens we
      // give back ourselves wake the waiter at once.
      await new Promise<void>((resolve) => {
        const timer = setTimeout(wake, delay);
        function wake(): void {
          clearTimeout(timer);
          resolve();
        }
        this.wakers.push(wake);
      });
      delay = Math.min(delay * 2, POLL_MAX_MS);
    }
  }

  release(): void {
    if (this.held === this.spare || this.closed) return;
    this.spare += 1;
    this.flushSoon();
    const wakers = this.wakers;
    this.wakers = [];
    for (const wake of wakers) wake();
  }

  /** Writes the spare tokens back once the tasks that could take them have had their turn. */
  private flushSoon(): void {
    if (this.flushing) return;
    this.flushing = true;
    setImmediate(() => {
      this.flushing = false;
      if (this.closed || this.spare === 0) return;
      this.held -= this.spare;
      const returned = this.spare;
      this.spare = 0;
      if (this.held === 0) this.refill();
      else for (let i = 0; i < returned; i++) writeSync(this.own, TOKEN);
    });
  }

  /**
   * Puts the pipe back to exactly `size - held` tokens. A make that is killed loses the tokens
   * it held; this runs whenever no task holds a slot, which repairs the budget.
   */
  private refill(): void {
    while (this.tryTake()) {
      /* drain */
    }
    for (let i = this.held; i < this.size; i++) writeSync(this.own, TOKEN);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    // The spawner that holds copies of them for the steps goes too.
    closeSpawner(this.childStdio);
    for (const fd of [this.own, this.childRead, this.childWrite]) closeSync(fd);
  }
}

/** A jobserver made when the first task needs a slot: a build with nothing to do never makes one. */
export class LazyJobserver implements Budget {
  private made: Jobserver | undefined;
  private making: Promise<Jobserver> | undefined;
  private closed = false;

  constructor(
    /** Gives the FIFO's name when it is made. */
    private readonly fifo: () => string,
    readonly size: number,
  ) {}

  /** The jobserver, once a task has taken a slot. */
  get server(): Jobserver | undefined {
    return this.made;
  }

  async acquire(signal?: AbortSignal): Promise<void> {
    if (!this.made) {
      this.making ??= Jobserver.create(this.fifo(), this.size);
      const made = await this.making;
      // Closed while it was being made: nobody else would close it.
      if (this.closed) made.close();
      this.made = made;
    }
    return this.made.acquire(signal);
  }

  release(): void {
    this.made?.release();
  }

  close(): void {
    this.closed = true;
    this.made?.close();
  }
}
