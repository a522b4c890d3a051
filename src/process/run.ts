import { HermitError } from '../errors.js';
import { appendFileSync, mkdirSync } from 'node:fs';
import { appendFile, mkdir, open } from 'node:fs/promises';
import path from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { KILL_GRACE_MS, signalGroup } from './groups.js';
import type { Jobserver } from './jobserver.js';
import type { StepExit } from './spawn-protocol.js';
import { spawnStep } from './spawner.js';

/** A step that did not exit with 0. */
export class StepFailure extends HermitError {
  constructor(
    readonly argv: readonly string[],
    readonly exitCode: number | undefined,
    readonly signal: string | undefined,
  ) {
    super(`\`${shellQuote(argv)}\` ${explainExit(exitCode, signal)}`);
  }
}

/** What an exit status means, in words (the way zx explains codes). */
export function explainExit(exitCode: number | undefined, signal: string | undefined): string {
  if (signal) return `was killed by ${signal}${signal === 'SIGSEGV' ? ' (segmentation fault)' : ''}`;
  const meaning: Record<number, string> = {
    126: 'command found but not executable',
    127: 'command not found',
    130: 'interrupted',
    137: 'killed (SIGKILL; out of memory?)',
    139: 'segmentation fault',
  };
  const extra = exitCode !== undefined ? meaning[exitCode] : undefined;
  return `exited with code ${exitCode ?? '?'}${extra ? ` (${extra})` : ''}`;
}

export function shellQuote(argv: readonly string[]): string {
  return argv.map((arg) => (/^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replaceAll("'", `'\\''`)}'`)).join(' ');
}

export interface RunOptions {
  /** Made when missing, like `folders`. */
  readonly cwd: string;
  /** Folders the step writes into, made (with their parents) by the step's process before it starts. */
  readonly folders?: readonly string[];
  /** The whole environment of the step (nothing is inherited implicitly). */
  readonly env: Readonly<Record<string, string>>;
  /** Output (stdout and stderr, interleaved) is appended here. */
  readonly logFile: string;
  readonly jobserver?: Jobserver | undefined;
  readonly signal?: AbortSignal | undefined;
  /**
   * Told the step's process group once it runs and once it has exited: a run killed in between
   * cannot end the group, so the next run needs a record of it. A step that ends within moments
   * of its start is not told of at all (the spawner says nothing of it until it has ended).
   */
  readonly group?: GroupWatcher | undefined;
}

export interface GroupWatcher {
  /** `start`: when the group's leader started (field 22 of its /proc stat), if the spawner could tell. */
  started(pgid: number, start: string | undefined): void;
  ended(pgid: number): void;
}

/**
 * Runs one argv (no shell) in its own process group, output to the log. Cancelling the signal
 * ends the whole group — make, the compilers it started, everything — not just the parent.
 */
export async function runStep(argv: readonly string[], options: RunOptions): Promise<void> {
  // Small synchronous writes: cheaper than a thread-pool round trip, and they keep log order. The
  // step's process makes the log and writes what runs, and the spawner the line of a step that
  // succeeded (see spawner-source.ts); a step that never ran leaves these lines in a log made here.
  const note = (line: string): void => {
    try {
      appendFileSync(options.logFile, `${line}\n`);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      mkdirSync(path.dirname(options.logFile), { recursive: true });
      appendFileSync(options.logFile, `${line}\n`);
    }
  };
  const starting = `$ ${shellQuote(argv)}\n  (in ${options.cwd})`;
  if (options.signal?.aborted) {
    note(starting);
    throw new StepFailure(argv, undefined, 'SIGTERM');
  }
  const started = Date.now();
  const env = { ...options.env };
  let fds: readonly number[] = [];
  if (options.jobserver) {
    env.MAKEFLAGS = options.jobserver.makeflags(env.MAKEFLAGS);
    fds = options.jobserver.childStdio;
  }
  // Started by a small process of ours rather than by node: see src/process/spawn-protocol.ts.
  const step = await spawnStep({ argv, cwd: options.cwd, folders: options.folders ?? [], env, logFile: options.logFile, note: starting }, fds);
  let aborted = false;
  let pid: number | undefined;
  const end = (): void => {
    signalGroup(pid!, 'SIGTERM');
    setTimeout(() => signalGroup(pid!, 'SIGKILL'), KILL_GRACE_MS).unref();
  };
  const onAbort = (): void => {
    aborted = true;
    if (pid !== undefined) end();
  };
  options.signal?.addEventListener('abort', onAbort, { once: true });
  let exit: StepExit;
  try {
    const running = await step.started;
    pid = running?.pid;
    if (running !== undefined) {
      options.group?.started(running.pid, running.start);
      if (aborted) end();
    }
    exit = await step.exited;
  } finally {
    if (pid !== undefined) options.group?.ended(pid);
    options.signal?.removeEventListener('abort', onAbort);
  }
  // The spawner has written the line of a step that succeeded (see SpawnAnswer).
  if (exit.exitCode === 0) return;
  note(`=> ${explainExit(exit.exitCode, exit.signal)} after ${((Date.now() - started) / 1000).toFixed(1)}s`);
  throw new StepFailure(argv, exit.exitCode, exit.signal);
}

export interface CapturedRun {
  /** Undefined when the process was killed by a signal; 127 when it could not be started. */
  readonly exitCode: number | undefined;
  readonly signal: string | undefined;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs one argv (no shell) to read its answer: a tool whose output is the result (dpkg, not a
 * build step), so the output is gathered instead of logged. It never throws for the exit
 * status: the caller says what a failure means, and can build a StepFailure from the result.
 */
export async function runCaptured(argv: readonly string[], options: { readonly cwd?: string; readonly env?: Readonly<Record<string, string>> } = {}): Promise<CapturedRun> {
  const { execa } = await import('execa');
  const result = await execa(argv[0]!, argv.slice(1), {
    ...(options.cwd ? { cwd: options.cwd } : {}),
    ...(options.env ? { env: options.env, extendEnv: false } : {}),
    stdin: 'ignore',
    reject: false,
  });
  if (result.exitCode === undefined && result.signal === undefined) {
    return { exitCode: 127, signal: undefined, stdout: '', stderr: result.originalMessage || result.shortMessage || 'the command could not be started' };
  }
  return { exitCode: result.exitCode, signal: result.signal, stdout: result.stdout, stderr: result.stderr };
}

/** How a tool that is not a step ended. */
export interface ToolExit {
  /** Undefined when it exited with 0. */
  readonly failure: StepFailure | undefined;
  readonly signal: string | undefined;
  /** The start of what it wrote to stderr (all a message needs, and bounded however much it writes). */
  readonly stderr: string;
}

/** A tool one end of whose pipes is ours: a decompressor we read, a tar we feed. */
export interface RunningTool {
  readonly stdin: Writable | undefined;
  readonly stdout: Readable | undefined;
  /** Resolves once it has exited; never rejects. */
  readonly exit: Promise<ToolExit>;
}

const STDERR_KEPT = 16 * 1024;

/**
 * Starts a helper tool (not a step: no log, no process group, the environment inherited with
 * `env` applied, where undefined removes a variable). Its stdin and stdout are pipes or nothing:
 * a tool reading a file is given its name (execa would pass the file through node's buffers).
 */
export async function startTool(
  argv: readonly string[],
  options: {
    readonly stdin: 'pipe' | 'ignore';
    readonly stdout: 'pipe' | 'ignore';
    readonly env?: Readonly<Record<string, string | undefined>>;
    /** Ends the tool (SIGTERM) when the task it works for is cancelled. */
    readonly signal?: AbortSignal | undefined;
  },
): Promise<RunningTool> {
  const { execa } = await import('execa');
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries({ ...process.env, ...options.env })) if (value !== undefined) env[name] = value;
  const cancel = options.signal ? { cancelSignal: options.signal } : {};
  const child = execa(argv[0]!, argv.slice(1), { stdin: options.stdin, ...cancel, stdout: options.stdout, stderr: 'pipe', env, extendEnv: false, buffer: false, reject: false });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    if (stderr.length < STDERR_KEPT) stderr += chunk.toString('utf8').slice(0, STDERR_KEPT - stderr.length);
  });
  const exit = child.then((result): ToolExit => {
    if (!result.failed) return { failure: undefined, signal: undefined, stderr };
    // Never started (a missing command): no status; 127, as a shell would say.
    const started = result.exitCode !== undefined || result.signal !== undefined;
    return { failure: new StepFailure(argv, started ? result.exitCode : 127, result.signal), signal: result.signal, stderr };
  });
  return { stdin: child.stdin ?? undefined, stdout: child.stdout ?? undefined, exit };
}

/**
 * The last `count` lines of a log, read from at most its last `maxBytes` (so a huge gcc log
 * costs nothing); the first line of that window may be cut.
 */
export async function tailLines(file: string, count: number, maxBytes = 64 * 1024): Promise<string[]> {
  let handle;
  try {
    handle = await open(file, 'r');
  } catch {
    return [];
  }
  try {
    const { size } = await handle.stat();
    const length = Math.min(size, maxBytes);
    const buffer = Buffer.alloc(length);
    await handle.read(buffer, 0, length, size - length);
    const lines = buffer.toString('utf8').split('\n');
    if (lines.at(-1) === '') lines.pop();
    return lines.slice(-count);
  } finally {
    await handle.close();
  }
}

/** Writes a line to a task log (task-level notes such as which artifact was used). */
export async function appendLog(file: string, line: string): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  await appendFile(file, `${line}\n`);
}
