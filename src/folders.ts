import { lstatSync, mkdirSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

/**
 * Removes what is at `target` (a folder with all it holds, a file, a link). The removal runs off
 * the main thread, since it may be a gcc-sized tree; when nothing is there, as for most tasks of
 * a fresh build, no thread-pool round trip is spent finding that out.
 */
export async function removeIfThere(target: string): Promise<void> {
  if (lstatSync(target, { throwIfNoEntry: false })) await rm(target, { recursive: true, force: true });
}

/** Makes `dir` an empty folder (with its parents), removing what was there first. */
export async function emptyFolder(dir: string): Promise<void> {
  await removeIfThere(dir);
  mkdirSync(dir, { recursive: true });
}

/**
 * The user's cache folder for this tool, `$XDG_CACHE_HOME/hermit-toolchain`: the download cache
 * unless `--cache` says otherwise, and where the step spawner is built (process/spawner-binary.ts).
 */
export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CACHE_HOME && path.isAbsolute(env.XDG_CACHE_HOME) ? env.XDG_CACHE_HOME : path.join(os.homedir(), '.cache');
  return path.join(base, 'hermit-toolchain');
}
