import path from 'node:path';
import { UserError } from '../errors.js';
import { COMPRESSIONS, type Compression } from '../formats/compression.js';
import { PackageError } from '../package/errors.js';
import { RepoError, indexIsCurrent, writeRepository } from '../package/repo.js';
import type { Toolchain } from '../recipes/load.js';
import type { Profile } from '../recipes/profile.js';
import type { GlobalOptions } from './context.js';

/**
 * Where packaging options live: the compression is a profile key (`compression`, part of the
 * package task key, so changing it repacks) that `--compress` overrides for one run; the output
 * folder and the signing key are places and identities, not inputs of a package's bytes, so they
 * are command-line options only (`--out`, default `<work>/out`; `--sign KEYID`).
 */
export interface PackagingOptions {
  readonly out?: string | undefined;
  readonly compress?: string | undefined;
  readonly sign?: string | undefined;
}

export function parseCompression(value: string): Compression {
  const found = COMPRESSIONS.find((c) => c === value);
  if (!found) throw new UserError(`--compress must be one of ${COMPRESSIONS.join(', ')}, not "${value}"`);
  return found;
}

/** The toolchain with `--compress` applied to its profile. */
export function withPackaging(toolchain: Toolchain, options: PackagingOptions): Toolchain {
  if (options.compress === undefined) return toolchain;
  return { ...toolchain, profile: { ...toolchain.profile, compression: parseCompression(options.compress) } };
}

export function outDirOf(options: PackagingOptions & GlobalOptions): string {
  return path.resolve(options.out ?? path.join(options.work ?? 'build', 'out'));
}

/**
 * Rewrites the apt index of the output folder after package tasks ran, unless it already lists
 * the folder's .debs as they are. After a failure it is left as it was: a new one would list
 * what did get packaged beside what did not (a meta package whose Depends cannot be met), and
 * apt would offer it as if the build had worked.
 */
export async function refreshIndex(outDir: string, profile: Profile, sign: string | undefined, outcome: { readonly failed: number }): Promise<void> {
  if (outcome.failed > 0) {
    process.stdout.write(`index: left as it was in ${outDir} (${outcome.failed} task${outcome.failed === 1 ? '' : 's'} failed)\n`);
    return;
  }
  if (await indexIsCurrent(outDir, sign !== undefined)) {
    process.stdout.write(`index: up to date in ${outDir}\n`);
    return;
  }
  try {
    const packages = await writeRepository(outDir, { epoch: profile.sourceDateEpoch, sign: sign === undefined ? undefined : { keyId: sign } });
    process.stdout.write(`index: ${packages.length} packages in ${outDir}${sign ? ` (signed with ${sign})` : ''}\n`);
  } catch (error) {
    if (error instanceof RepoError || error instanceof PackageError) throw new UserError(error.message, { cause: error });
    throw error;
  }
}

