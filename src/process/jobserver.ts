import { constants, closeSync, openSync, readSync, unlinkSync, writeSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { closeSpawner } from './spawner.js';
import { HermitError } from '../errors.js';
import type { Budget } from './budget.js';

/** Where the jobserver's descriptors appear in every step's process (make reads them from MAKEFLAGS). */
export const JOBSERVER_CHILD_FDS = [3, 4] as const;

const TOKEN = Buffer.from('+');
const POLL_MIN_MS = 5;
const POLL_MAX_MS = 50;

export class JobserverError extends HermitError {}

/** mkfifo(1), since Node has no mkfifo(3); its failure said in one line. */
function makeFifo(fifo: string): void {
  try {
    execFileSync('mkfifo', ['-m', '600', fifo], { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (error) {
    const failure = error as NodeJS.ErrnoException & { stderr?: Buffer };
    const why = failure.code === 'ENOENT' ? 'mkfifo is not installed (Debian package coreutils)' : (failure.stderr?.toString().trim() || failure.message);
    throw new JobserverError(`cannot make the jobserver's FIFO ${fifo}: ${why}`, { cause: error });
  }
}

/**
 * A GNU make jobserver shared by the scheduler and every make a step starts. It is a pipe (a
 * FIFO, since Node has no pipe(2)) holding one byte per free job slot. The scheduler takes a
 * token for each task it starts; that token is the implicit slot of the task's first process,
 * and each make takes more tokens from the same pipe for its parallel jobs. So the number of
 * jobs across every running task never exceeds the budget.
 */
export class Jobserver implements Budget {
  private held = 0;
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

  /** Makes the FIFO `fifo` (a fresh name, removed once open) and fills it with tokens. */
  static create(fifo: string, size: number): Jobserver {
    if (!Number.isInteger(size) || size < 1) throw new RangeError(`a jobserver needs at least one slot, got ${size}`);
    makeFifo(fifo);
    try {
      // Our end is opened read-write first so that the blocking opens below find a writer and
      // a reader and return at once. Separate opens give separate O_NONBLOCK flags.
      const own = openSync(fifo, constants.O_RDWR | constants.O_NONBLOCK);
      const childRead = openSync(fifo, constants.O_RDONLY);
      const childWrite = openSync(fifo, constants.O_WRONLY);
      const server = new Jobserver(size, own, childRead, childWrite);
      server.refill();
      return server;
    } finally {
      // The descriptors keep the pipe alive; nothing needs its name any more.
      unlinkSync(fifo);
    }
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
    const buffer = Buffer.alloc(1);
    try {
      return readSync(this.own, buffer, 0, 1, null) === 1;
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
    if (this.held === 0 || this.closed) return;
    this.held -= 1;
    if (this.held === 0) this.refill();
    else writeSync(this.own, TOKEN);
    const wakers = this.wakers;
    this.wakers = [];
    for (const wake of wakers) wake();
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

  constructor(
    /** Gives the FIFO's name when it is made. */
    private readonly fifo: () => string,
    readonly size: number,
  ) {}

  /** The jobserver, once a task has taken a slot. */
  get server(): Jobserver | undefined {
    return this.made;
  }

  acquire(signal?: AbortSignal): Promise<void> {
    this.made ??= Jobserver.create(this.fifo(), this.size);
    return this.made.acquire(signal);
  }

  release(): void {
    this.made?.release();
  }

  close(): void {
    this.made?.close();
  }
}
