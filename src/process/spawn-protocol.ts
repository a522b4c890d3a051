import { constants } from 'node:os';

/**
 * The conversation with the step spawner (src/process/spawner.ts; its program is in
 * spawner-source.ts), kept apart from the process so that it is tested without one. A request is
 * a line with the byte length of its body, then the body: NUL-separated fields (NUL cannot occur
 * in an argument, a path or the environment).
 * The spawner answers with lines: `S <id> <pid> <start>` once a step has run for a moment
 * (`start` is when the process started, field 22 of /proc/<pid>/stat, or `-` when that cannot be
 * read), and `E <id> <wait status>` once it has exited; a step that ends within that moment, or
 * could not be started, has only its `E` line. Before it says a step exited with 0, it appends
 * `=> ok after <seconds>s` to the step's log (how else a step ended, node explains there). A spawner started to make the jobserver's FIFO
 * first says `J` once it has, or `J <why>` when it could not (and exits).
 */
export interface SpawnRequest {
  readonly id: number;
  readonly argv: readonly string[];
  /** Made when missing, with its parents, like `folders`. */
  readonly cwd: string;
  /** Folders the step writes into (an install's image), made with their parents before it starts. */
  readonly folders: readonly string[];
  /** Where stdout and stderr are appended (the file and its folder are made when missing). */
  readonly logFile: string;
  /** Written to the log before the step starts (what runs, and where); nothing when empty. */
  readonly note: string;
  /** Whether the step keeps the jobserver's descriptors (3 and 4); otherwise they are closed. */
  readonly jobserver: boolean;
  readonly env: Readonly<Record<string, string>>;
}

export function encodeRequest(request: SpawnRequest): Buffer {
  const fields = [
    String(request.id),
    request.cwd,
    request.logFile,
    request.note,
    request.jobserver ? '1' : '0',
    String(request.folders.length),
    ...request.folders,
    String(request.argv.length),
    ...request.argv,
    ...Object.entries(request.env).map(([name, value]) => `${name}=${value}`),
  ];
  for (const field of fields) if (field.includes('\0')) throw new Error(`a step cannot be given a NUL byte: ${JSON.stringify(field)}`);
  const body = Buffer.from(fields.join('\0'));
  return Buffer.concat([Buffer.from(`${body.length}\n`), body]);
}

export type SpawnAnswer =
  | { readonly type: 'started'; readonly id: number; readonly pid: number; readonly start: string | undefined }
  | { readonly type: 'exited'; readonly id: number; readonly exit: StepExit }
  | { readonly type: 'fifo'; readonly error: string | undefined };

export interface StepExit {
  /** Undefined when a signal ended it. */
  readonly exitCode: number | undefined;
  readonly signal: NodeJS.Signals | undefined;
}

const SIGNAL_NAMES = new Map(Object.entries(constants.signals).map(([name, number]) => [number, name as NodeJS.Signals]));

/** What a wait status (as waitpid(2) gives it) says. */
export function decodeWaitStatus(status: number): StepExit {
  const signal = status & 0x7f;
  if (signal === 0) return { exitCode: (status >> 8) & 0xff, signal: undefined };
  return { exitCode: undefined, signal: SIGNAL_NAMES.get(signal) ?? (`SIG${signal}` as NodeJS.Signals) };
}

/** One answer line, or undefined for a line that is not one. */
export function parseAnswer(line: string): SpawnAnswer | undefined {
  const started = /^S (\d+) (\d+) (\d+|-)$/.exec(line);
  if (started) return { type: 'started', id: Number(started[1]), pid: Number(started[2]), start: started[3] === '-' ? undefined : started[3] };
  const exited = /^E (\d+) (\d+)$/.exec(line);
  if (exited) return { type: 'exited', id: Number(exited[1]), exit: decodeWaitStatus(Number(exited[2])) };
  const fifo = /^J(?: (.+))?$/.exec(line);
  if (fifo) return { type: 'fifo', error: fifo[1] };
  return undefined;
}
