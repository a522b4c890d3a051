import path from 'node:path';
import { UserError } from '../errors.js';
import { COMPRESSIONS, type Compression } from '../formats/compression.js';
import { PackageError } from '../package/errors.js';
import { packTree } from '../package/tree-deb.js';
import type { GlobalOptions } from './context.js';

export interface PackageTreeOptions extends GlobalOptions {
  readonly tree: string;
  readonly out?: string | undefined;
  readonly compress?: string | undefined;
}

/** SOURCE_DATE_EPOCH and the compression: from the environment and flags, else from the profile. */
async function settings(options: PackageTreeOptions): Promise<{ epoch: number; compression: Compression }> {
  const fromEnv = process.env.SOURCE_DATE_EPOCH;
  if (fromEnv !== undefined && !/^\d+$/.test(fromEnv)) throw new UserError(`SOURCE_DATE_EPOCH must be a whole number of seconds, not "${fromEnv}"`);
  const flag = options.compress === undefined ? undefined : COMPRESSIONS.find((c) => c === options.compress);
  if (options.compress !== undefined && !flag) throw new UserError(`--compress must be one of ${COMPRESSIONS.join(', ')}, not "${options.compress}"`);
  // The profile is read only when needed (its loader, YAML and schemas, costs more start-up time
  // than packing a small tree takes), or when one is named: a --config that is not there is an
  // error even when nothing would be taken from it.
  if (fromEnv !== undefined && flag && options.config === undefined) return { epoch: Number(fromEnv), compression: flag };
  const { profileOf } = await import('./context.js');
  const profile = await profileOf(options);
  return { epoch: fromEnv !== undefined ? Number(fromEnv) : profile.sourceDateEpoch, compression: flag ?? profile.compression };
}

/**
 * `package --tree DIR`: packs a ready tree like `dpkg-deb --root-owner-group -b`, with our
 * compression, order and normalised modes, into `--out` (default `<work>/out`). Like dpkg-deb,
 * SOURCE_DATE_EPOCH from the environment wins over the profile's.
 */
export async function packageTreeCommand(options: PackageTreeOptions): Promise<number> {
  const { epoch, compression } = await settings(options);
  const outDir = path.resolve(options.out ?? path.join(options.work ?? 'build', 'out'));
  try {
    const packed = await packTree(path.resolve(options.tree), outDir, { compression, epoch });
    process.stdout.write(`wrote ${packed.file}\n`);
    return 0;
  } catch (error) {
    if (error instanceof PackageError) throw new UserError(error.message, { details: error.details, cause: error });
    throw error;
  }
}
