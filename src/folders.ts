import { lstatSync, mkdirSync } from 'node:fs';
import { rm } from 'node:fs/promises';

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
