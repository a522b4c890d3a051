import { parseArgs } from 'node:util';
import type { OsabiCommandOptions } from './osabi.js';

/**
 * The options of `osabi`, shared by the full command line (program.ts, which also gives the
 * help) and the direct path below, so the two cannot drift apart.
 */
export const OSABI_OPTIONS = {
  set: {
    flags: '--set <osabi>',
    type: 'string',
    description: 'set the OS/ABI: a name (Standalone, HermitCore, GNU, none, ...) or a number 0-255',
  },
  get: {
    flags: '--get',
    type: 'boolean',
    description: 'print the OS/ABI of each file, or of each archive member: FILE: NAME (0xNN)',
  },
  'input-osabi': {
    flags: '--input-osabi <osabi>',
    type: 'string',
    description: 'with --set: change only headers that hold this OS/ABI now, leave the others alone',
  },
  verbose: {
    flags: '-v, --verbose',
    type: 'boolean',
    short: 'v',
    description: 'with --set: print one line per file saying how many headers changed',
  },
} as const;

export interface OsabiArgs {
  readonly files: readonly string[];
  readonly options: OsabiCommandOptions;
}

const PARSE_CONFIG = Object.fromEntries(
  Object.entries(OSABI_OPTIONS).map(([name, option]) => [name, { type: option.type, ...('short' in option ? { short: option.short } : {}) }]),
);

/**
 * Reads the arguments after `osabi` when they are the plain form: known options and at least one
 * file. Returns undefined for anything else (help, an unknown or global option, a missing
 * value or file), which the full command line then handles and explains.
 */
export function parseOsabiArgs(args: readonly string[]): OsabiArgs | undefined {
  if (args.includes('--help') || args.includes('-h')) return undefined;
  let parsed;
  try {
    parsed = parseArgs({ args: [...args], options: PARSE_CONFIG, allowPositionals: true, strict: true });
  } catch {
    return undefined;
  }
  const { values, positionals } = parsed;
  if (positionals.length === 0) return undefined;
  const text = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);
  const flag = (value: unknown): boolean | undefined => (value === true ? true : undefined);
  return {
    files: positionals,
    options: { set: text(values.set), get: flag(values.get), inputOsabi: text(values['input-osabi']), verbose: flag(values.verbose) },
  };
}
