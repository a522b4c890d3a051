import { UserError, describeError } from '../errors.js';

/** Prints a failure the way every command does: one line, the details, where the log is. */
export function printFailure(error: unknown, out: NodeJS.WritableStream = process.stderr): void {
  out.write(`error: ${describeError(error)}\n`);
  if (error instanceof UserError) {
    for (const line of error.details) out.write(`  | ${line}\n`);
    if (error.logPath) out.write(`  log: ${error.logPath}\n`);
  }
}
