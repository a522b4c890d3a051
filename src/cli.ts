import { cancelForClosedOutput } from './commands/interrupt.js';
import { parseOsabiArgs } from './commands/osabi-args.js';
import { UserError, asFileSystemError } from './errors.js';
import { printFailure } from './ui/failure.js';

/**
 * Runs the CLI; returns the exit code instead of exiting so tests can call it.
 *
 * `osabi` in its usual form is parsed by node's own parseArgs and run without loading the rest
 * of the command line (commander and the definitions of every command): loading those costs a
 * command that stamps a few files as much as the stamping. Anything else, including `osabi`
 * with --help, global options or a mistake, goes through the full command line, which gives the
 * help and the error messages.
 */
export async function main(argv: readonly string[]): Promise<number> {
  process.exitCode = 0;
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (error: NodeJS.ErrnoException) => {
      // `hermit-toolchain list | head` closes our stdout early: that is not an error. A build
      // that has steps running ends them first (and exits 141, as if by SIGPIPE).
      if (error.code === 'EPIPE') {
        if (!cancelForClosedOutput()) process.exit(process.exitCode ?? 0);
        return;
      }
      // The terminal is gone (SIGHUP comes with it): what is printed is lost, but the run must
      // still end its steps rather than die here and leave them running.
      if (error.code === 'EIO') return;
      throw error;
    });
  }
  try {
    const osabi = argv[2] === 'osabi' ? parseOsabiArgs(argv.slice(3)) : undefined;
    if (osabi !== undefined) {
      const { osabiCommand } = await import('./commands/osabi.js');
      return await osabiCommand(osabi.files, osabi.options);
    }
    const { program } = await import('./program.js');
    await program().parseAsync([...argv]);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (error) {
    const failure = error instanceof UserError ? error : asFileSystemError(error);
    if (failure) {
      printFailure(failure);
      return failure.exitCode;
    }
    process.stderr.write(`internal error (please report it): ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    return 70;
  }
}
