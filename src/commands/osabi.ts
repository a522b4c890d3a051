import { describeSetResult, getOsabi, setOsabi } from '../elfedit/osabi.js';
import { UserError } from '../errors.js';
import { OSABI_NAMES, describeOsabi, osabiLabel, parseOsabi } from '../formats/osabi.js';
import type { OsabiProblem } from '../formats/osabi.js';

export interface OsabiCommandOptions {
  readonly set?: string | undefined;
  readonly get?: boolean | undefined;
  readonly inputOsabi?: string | undefined;
  readonly verbose?: boolean | undefined;
}

export interface Output {
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
}

function osabiValue(text: string, option: string): number {
  const value = parseOsabi(text);
  if (value === undefined) {
    throw new UserError(`osabi: ${option} "${text}": not an OS/ABI name or a number 0-255 (names: ${OSABI_NAMES.map(([name]) => name).join(', ')})`);
  }
  return value;
}

/** How many problems of one file are shown before "and N more". */
const SHOWN_PROBLEMS = 3;

function reportProblems(file: string, problems: readonly OsabiProblem[], stderr: NodeJS.WritableStream, verdict: string): void {
  const shown = problems.slice(0, SHOWN_PROBLEMS).map((p) => (p.member === undefined ? p.problem : `${osabiLabel(file, p.member)}: ${p.problem}`));
  const more = problems.length > SHOWN_PROBLEMS ? `; and ${problems.length - SHOWN_PROBLEMS} more` : '';
  stderr.write(`osabi: ${file}: ${verdict}: ${shown.join('; ')}${more}\n`);
}

/**
 * `osabi --set VALUE FILE...` and `osabi --get FILE...`. Every file is handled even when an
 * earlier one is refused; the exit code is 1 when any was.
 */
export async function osabiCommand(
  files: readonly string[],
  options: OsabiCommandOptions,
  output: Output = { stdout: process.stdout, stderr: process.stderr },
): Promise<number> {
  if ((options.set === undefined) === (options.get !== true)) throw new UserError('osabi: give exactly one of --set NAME|NUMBER and --get');
  if (options.get && options.inputOsabi !== undefined) throw new UserError('osabi: --input-osabi goes with --set, not --get');
  if (files.length === 0) throw new UserError('osabi: no files given');
  let failed = false;

  if (options.get) {
    const lines: string[] = [];
    for (const result of await getOsabi(files)) {
      for (const reading of result.readings) lines.push(`${osabiLabel(result.file, reading.member)}: ${describeOsabi(reading.value)}\n`);
      if (result.problems.length > 0) {
        failed = true;
        output.stdout.write(lines.splice(0).join(''));
        reportProblems(result.file, result.problems, output.stderr, 'cannot read the OS/ABI');
      }
    }
    output.stdout.write(lines.join(''));
    return failed ? 1 : 0;
  }

  const value = osabiValue(options.set!, '--set');
  const onlyFrom = options.inputOsabi === undefined ? undefined : osabiValue(options.inputOsabi, '--input-osabi');
  for (const result of await setOsabi(files, { value, onlyFrom })) {
    if (result.problems.length > 0) {
      failed = true;
      reportProblems(result.file, result.problems, output.stderr, 'refused');
    } else if (options.verbose) {
      output.stdout.write(`${describeSetResult(result, value)}\n`);
    }
  }
  return failed ? 1 : 0;
}
