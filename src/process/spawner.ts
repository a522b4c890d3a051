import type { Socket } from 'node:net';
import type { Readable, Writable } from 'node:stream';
import { childProcess } from '../builtins.js';
import { HermitError } from '../errors.js';
import { encodeRequest, parseAnswer, type SpawnRequest, type StepExit } from './spawn-protocol.js';
import { spawnerBinary } from './spawner-binary.js';

/** The spawner could not be started, or died with steps in its care. */
export class SpawnerError extends HermitError {}

interface Pending {
  readonly onStarted: (step: StartedStep) => void;
  readonly onExited: (exit: StepExit) => void;
  readonly onLost: (error: Error) => void;
}

/** A step's process: its pid (the id of its process group) and when it started (see SpawnAnswer). */
export interface StartedStep {
  readonly pid: number;
  readonly start: string | undefined;
}

/** A step handed to the spawner: its process once it runs, and how it ended. */
export interface SpawnedStep {
  /**
   * Resolves once the step has run for a moment, or with undefined if it ended sooner or never
   * ran (see SpawnAnswer); never rejects.
   */
  readonly started: Promise<StartedStep | undefined>;
  readonly exited: Promise<StepExit>;
}

/**
 * One spawner process (see spawner-source.ts) and the steps it runs for us. It keeps node alive
 * only while a step is in its care (or the jobserver's FIFO is being made), and goes once its
 * descriptors' owner closes it or node exits.
 */
class Spawner {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private buffered = '';
  private lost: Error | undefined;
  private fifoWaiter: { resolve: () => void; reject: (error: Error) => void } | undefined;
  /** Resolves once the jobserver's FIFO is made, for a spawner started to make it. */
  readonly fifoMade: Promise<void>;

  constructor(
    private readonly stdin: Writable,
    private readonly stdout: Readable,
    private readonly unrefAll: (referenced: boolean) => void,
    makesFifo: boolean,
  ) {
    this.fifoMade = makesFifo ? new Promise((resolve, reject) => (this.fifoWaiter = { resolve, reject })) : Promise.resolve();
    stdout.setEncoding('utf8');
    stdout.on('data', (text: string) => this.receive(text));
    stdout.on('close', () => this.loseAll(new SpawnerError('the step spawner exited with steps in its care')));
    stdin.on('error', (error: Error) => this.loseAll(new SpawnerError(`cannot talk to the step spawner: ${error.message}`, { cause: error })));
    unrefAll(makesFifo);
  }

  run(request: Omit<SpawnRequest, 'id'>): SpawnedStep {
    const id = this.nextId++;
    let onStarted!: (step: StartedStep | undefined) => void;
    const started = new Promise<StartedStep | undefined>((resolve) => (onStarted = resolve));
    const exited = new Promise<StepExit>((resolve, reject) => {
      if (this.lost) return reject(this.lost);
      this.pending.set(id, {
        onStarted,
        onExited: (exit) => {
          onStarted(undefined);
          resolve(exit);
        },
        onLost: (error) => {
          onStarted(undefined);
          reject(error);
        },
      });
      if (this.pending.size === 1) this.unrefAll(true);
      this.stdin.write(encodeRequest({ ...request, id }));
    });
    return { started, exited };
  }

  close(): void {
    this.stdin.end();
  }

  private receive(text: string): void {
    this.buffered += text;
    let newline;
    while ((newline = this.buffered.indexOf('\n')) >= 0) {
      const answer = parseAnswer(this.buffered.slice(0, newline));
      this.buffered = this.buffered.slice(newline + 1);
      if (answer?.type === 'fifo') {
        this.fifoAnswered(answer.error === undefined ? undefined : new SpawnerError(answer.error));
        continue;
      }
      const waiting = answer && this.pending.get(answer.id);
      if (!answer || !waiting) continue;
      if (answer.type === 'started') {
        waiting.onStarted({ pid: answer.pid, start: answer.start });
        continue;
      }
      this.pending.delete(answer.id);
      if (this.pending.size === 0) this.unrefAll(false);
      waiting.onExited(answer.exit);
    }
  }

  private fifoAnswered(error: Error | undefined): void {
    const waiter = this.fifoWaiter;
    if (!waiter) return;
    this.fifoWaiter = undefined;
    if (error) waiter.reject(error);
    else waiter.resolve();
    if (this.pending.size === 0) this.unrefAll(false);
  }

  private loseAll(error: Error): void {
    this.lost ??= error;
    this.fifoAnswered(new SpawnerError('the step spawner exited before it made the jobserver\'s FIFO'));
    for (const waiting of this.pending.values()) waiting.onLost(error);
    this.pending.clear();
    this.unrefAll(false);
  }

  get usable(): boolean {
    return this.lost === undefined;
  }
}

/** Spawners by the descriptors their steps may inherit ('' for none). */
const spawners = new Map<string, Promise<Spawner>>();

async function startSpawner(fds: readonly number[], jobserverFifo?: string): Promise<Spawner> {
  const binary = await spawnerBinary();
  // Node's own spawn: the spawner needs raw pipes and nothing of what execa adds, and starting it
  // is on the way to a build's first step, which then need not wait for execa to load.
  // Its own process group: a Ctrl-C reaches us, and we end the steps; it must not end the spawner
  // that reports their exits first.
  const args = jobserverFifo === undefined ? [] : ['--jobserver-fifo', jobserverFifo];
  const child = childProcess().spawn(binary, args, { stdio: ['pipe', 'pipe', 'inherit', ...fds], detached: true });
  await new Promise<void>((resolve, reject) => {
    child.once('spawn', resolve);
    child.once('error', (error) => reject(new SpawnerError(`cannot start the step spawner ${binary}: ${error.message}`, { cause: error })));
  });
  // Its end shows as its output closing (see Spawner); a later error (a failed kill) changes nothing.
  child.on('error', () => undefined);
  const stdin = child.stdin!;
  const stdout = child.stdout!;
  const spawner = new Spawner(
    stdin,
    stdout,
    (referenced) => {
      for (const handle of [child, stdin as unknown as Socket, stdout as unknown as Socket]) {
        if (referenced) handle.ref?.();
        else handle.unref?.();
      }
    },
    jobserverFifo !== undefined,
  );
  await spawner.fifoMade;
  return spawner;
}

/**
 * Makes the jobserver's FIFO `fifo` through a spawner that keeps its ends as 3 and 4 for its
 * steps (node has no mkfifo(3); see spawner-source.ts). `open` opens the jobserver's own ends
 * while the name is there and returns the two that steps inherit: that spawner then serves the
 * steps spawnStep is given those for, and one started after it died is handed them.
 */
export async function makeJobserverFifo(fifo: string, open: () => readonly number[]): Promise<void> {
  const spawner = await startSpawner([], fifo);
  let fds;
  try {
    fds = open();
  } catch (error) {
    spawner.close();
    throw error;
  }
  spawners.set(fds.join(','), Promise.resolve(spawner));
}

/** Hands a step to the spawner whose steps inherit `fds` (the jobserver's), started on first use. */
export async function spawnStep(request: Omit<SpawnRequest, 'id' | 'jobserver'>, fds: readonly number[]): Promise<SpawnedStep> {
  const key = fds.join(',');
  let spawner = spawners.get(key);
  if (spawner && !(await spawner.catch(() => undefined))?.usable) spawner = undefined;
  if (!spawner) {
    spawner = startSpawner(fds);
    spawners.set(key, spawner);
    spawner.catch(() => spawners.delete(key));
  }
  return (await spawner).run({ ...request, jobserver: fds.length > 0 });
}

/** Ends the spawner whose steps inherit `fds`, once they are closed (the jobserver is done). */
export function closeSpawner(fds: readonly number[]): void {
  const key = fds.join(',');
  const spawner = spawners.get(key);
  spawners.delete(key);
  void spawner?.then((s) => s.close(), () => undefined);
}
