import path from 'node:path';
import { UserError } from '../errors.js';
import { BinfmtError, hermitEntry } from '../host/binfmt.js';
import { BINFMT_DIR, BinfmtMisc, entryStatus, registerEntry, unregisterEntry } from '../host/binfmt-misc.js';
import { profileOf, type GlobalOptions } from './context.js';

export const BINFMT_ACTIONS = ['register', 'unregister', 'status'] as const;
export type BinfmtAction = (typeof BINFMT_ACTIONS)[number];

export interface BinfmtOptions extends GlobalOptions {
  readonly binfmtDir?: string | undefined;
  readonly dryRun?: boolean | undefined;
  /** The proxy to register instead of `<prefix>/bin/proxy` (e.g. one installed under a --root). */
  readonly interpreter?: string | undefined;
}

const print = (line: string): void => {
  process.stdout.write(`${line}\n`);
};

/** `binfmt register|unregister|status`: the kernel starts HermitCore executables through the proxy. */
export async function binfmtCommand(action: BinfmtAction, options: BinfmtOptions): Promise<number> {
  const profile = await profileOf(options);
  const standard = hermitEntry(profile.osabiValue, profile.prefix);
  const entry = options.interpreter ? { ...standard, interpreter: path.resolve(options.interpreter) } : standard;
  const fs = new BinfmtMisc(path.resolve(options.binfmtDir ?? BINFMT_DIR));
  const run = { dryRun: options.dryRun === true, print };
  try {
    switch (action) {
      case 'register':
        await registerEntry(fs, entry, run);
        return 0;
      case 'unregister':
        await unregisterEntry(fs, entry.name, run);
        return 0;
      case 'status': {
        const { lines, ok } = await entryStatus(fs, entry);
        lines.forEach(print);
        return ok ? 0 : 1;
      }
    }
  } catch (error) {
    if (error instanceof BinfmtError) throw new UserError(error.message, { cause: error });
    throw error;
  }
}
