import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { UserError } from '../errors.js';
import { defaultCacheDir } from '../folders.js';
import { sha256Hex } from '../hash.js';
import { PROFILE_FILE, loadProfile, loadToolchain, type Toolchain } from '../recipes/load.js';
import { mirrorUrl, type Profile } from '../recipes/profile.js';

/** The options every command accepts (see `hermit-toolchain --help`). */
export interface GlobalOptions {
  readonly toolchain?: string | undefined;
  readonly config?: string | undefined;
  readonly work?: string | undefined;
  readonly cache?: string | undefined;
  readonly jobs?: string | undefined;
  /** `--mirror DIR|URL`: premirrors tried before the profile's. */
  readonly mirror?: readonly string[] | undefined;
}

export interface CommandContext {
  readonly toolchain: Toolchain;
  readonly workDir: string;
  readonly cacheDir: string;
  readonly jobs: number;
}

/** The repository this CLI was installed from: its recipes are the default toolchain. */
export const PACKAGE_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

export function parseJobs(value: string | undefined): number {
  if (value === undefined) return os.availableParallelism();
  const jobs = Number(value);
  if (!Number.isInteger(jobs) || jobs < 1) throw new UserError(`--jobs must be a whole number of at least 1, not "${value}"`);
  return jobs;
}

export async function resolveContext(options: GlobalOptions): Promise<CommandContext> {
  const toolchainDir = path.resolve(options.toolchain ?? PACKAGE_ROOT);
  const workDir = path.resolve(options.work ?? 'build');
  const cacheDir = path.resolve(options.cache ?? defaultCacheDir());
  const loaded = await loadToolchain(toolchainDir, {
    profileFile: profileFileOf(options),
    parseCache: parseCacheFile(cacheDir, toolchainDir),
  });
  // Premirrors change where sources come from, never what they are (each is verified), so they
  // are not part of any key.
  const mirrors = (options.mirror ?? []).map((entry) => mirrorUrl(entry, process.cwd()));
  const toolchain = mirrors.length === 0 ? loaded : { ...loaded, profile: { ...loaded.profile, mirrors: [...mirrors, ...loaded.profile.mirrors] } };
  return {
    toolchain,
    workDir,
    cacheDir,
    jobs: parseJobs(options.jobs),
  };
}

/**
 * The parsed recipes live in the cache folder, one file per toolchain folder, rather than in the
 * work directory: a fresh work directory (a CI job, `clean`) would otherwise parse every YAML
 * file again, and entries are keyed by their text, so any work directory can use them.
 */
export function parseCacheFile(cacheDir: string, toolchainDir: string): string {
  return path.join(cacheDir, 'recipes', `${sha256Hex(toolchainDir).slice(0, 16)}.json`);
}

/** `--config FILE`, which must exist, or undefined for the toolchain's own (optional) profile. */
function profileFileOf(options: GlobalOptions): string | undefined {
  return options.config === undefined ? undefined : path.resolve(options.config);
}

/** Only the profile matters here (prefix and OS/ABI): no recipes are needed to register. */
export async function profileOf(options: GlobalOptions): Promise<Profile> {
  const named = profileFileOf(options);
  if (named !== undefined) return loadProfile(named, { required: true });
  return loadProfile(path.join(path.resolve(options.toolchain ?? PACKAGE_ROOT), PROFILE_FILE));
}
