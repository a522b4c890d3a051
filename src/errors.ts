import { getSystemErrorMap } from 'node:util';

/**
 * The base of every error class in src/: the name comes from the class and the cause is kept, so
 * a wrapped failure still shows what it wraps. Deriving from it says nothing about who is at
 * fault; only a UserError is printed as one line.
 */
export class HermitError extends Error {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
  }
}

/**
 * Two kinds of failure reach the user. A UserError is something the user can act on (a bad
 * recipe, a failed step, a checksum mismatch): it is printed as one line plus, where one exists,
 * the log to read. Anything else is a bug and is printed with its stack.
 */
export class UserError extends HermitError {
  /** Where to look for details (a log file), printed under the message. */
  readonly logPath: string | undefined;
  /** Extra lines printed between the message and the log path (e.g. the tail of a log). */
  readonly details: readonly string[];
  readonly exitCode: number;

  constructor(
    message: string,
    options: { logPath?: string; details?: readonly string[]; exitCode?: number; cause?: unknown } = {},
  ) {
    super(message, options);
    this.logPath = options.logPath;
    this.details = options.details ?? [];
    this.exitCode = options.exitCode ?? 1;
  }
}

/**
 * A recipe or profile file that cannot be read, parsed or validated. When there is more than one
 * problem, the first is the message and each further one, located the same way, is a detail.
 */
export class ConfigError extends UserError {
  constructor(
    readonly file: string,
    readonly where: string | undefined,
    readonly problem: string,
    readonly line?: number,
    options: { cause?: unknown; details?: readonly string[] } = {},
  ) {
    const location = line === undefined ? file : `${file}:${line}`;
    super(`${location}: ${where ? `${where}: ` : ''}${problem}`, options);
  }

  /** All of `errors` as one: the first, with the others' messages as its details. */
  static together(errors: readonly [ConfigError, ...ConfigError[]]): ConfigError {
    const [first, ...more] = errors;
    if (more.length === 0) return first;
    const details = [...first.details, ...more.flatMap((error) => [error.message, ...error.details])];
    return new ConfigError(first.file, first.where, first.problem, first.line, { cause: first.cause, details });
  }
}

/** Planning problems: cycles, missing needs, unknown placeholders. */
export class PlanError extends UserError {}

/** A task of the graph failed while running. */
export class TaskError extends UserError {
  constructor(
    readonly recipe: string,
    readonly task: string,
    problem: string,
    options: { logPath?: string; details?: readonly string[]; cause?: unknown } = {},
  ) {
    super(`${recipe}: ${task}: ${problem}`, options);
  }
}

/** Another run holds the work directory. */
export class LockError extends UserError {}

/** The user pressed Ctrl-C or the process got SIGTERM. */
export class InterruptedError extends UserError {
  constructor(signal: string) {
    super(`interrupted by ${signal}`, { exitCode: 130 });
  }
}

/** A file or folder that could not be made, read or written outside any task. */
export class FileSystemError extends UserError {
  constructor(
    readonly path: string,
    readonly code: string,
    problem: string,
    options: { cause?: unknown } = {},
  ) {
    super(`${path}: ${problem} (${code})`, options);
  }
}

/**
 * Node's error for a system call on a path (it has an errno code and the path) as a
 * FileSystemError, else undefined. Such a failure comes from the machine or the arguments (a
 * --work that is a file, a full disk, a folder without write permission), not from a bug, so
 * it is worth one line that names the path rather than a stack.
 */
export function asFileSystemError(error: unknown): FileSystemError | undefined {
  if (!(error instanceof Error)) return undefined;
  const { code, path, syscall, errno, dest } = error as NodeJS.ErrnoException & { dest?: unknown };
  if (typeof code !== 'string' || typeof path !== 'string' || typeof syscall !== 'string') return undefined;
  const what = (typeof errno === 'number' ? getSystemErrorMap().get(errno)?.[1] : undefined) ?? code;
  let problem = `cannot ${syscall}${typeof dest === 'string' ? ` to ${dest}` : ''}: ${what}`;
  // The usual cause is a path given for a folder that names a file: say so in those words.
  if (code === 'EEXIST' && syscall === 'mkdir') problem = 'exists and is not a folder';
  if (code === 'ENOTDIR') problem = 'a part of this path is a file, not a folder';
  return new FileSystemError(path, code, problem, { cause: error });
}

export function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
