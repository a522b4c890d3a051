import { createHash } from 'node:crypto';
import { cp, lstat, readdir, readlink, rm } from 'node:fs/promises';
import path from 'node:path';
import { UserError } from '../errors.js';
import { hashFileInto } from '../hash.js';
import { unpackArchive, type UnpackTarget } from './unpack.js';

/** Version-control folders are neither hashed nor copied: fetching must not rebuild anything. */
const SKIPPED = new Set(['.git', '.hg', '.svn', '.bzr', 'CVS']);

/** Parses `--source NAME=PATH` values into absolute paths by recipe name. */
export function parseOverrides(values: readonly string[], cwd = process.cwd()): Map<string, string> {
  const overrides = new Map<string, string>();
  for (const value of values) {
    const match = /^([a-z0-9][a-z0-9.+-]*)=(.+)$/.exec(value);
    if (!match) throw new UserError(`--source ${value}: expected NAME=PATH (a folder or a tarball)`);
    overrides.set(match[1]!, path.resolve(cwd, match[2]!));
  }
  return overrides;
}

/**
 * A content hash of a local source: every path, its kind, its executable bit and its bytes, in
 * sorted order — so an edit anywhere re-keys the recipe and a touch does not.
 */
export async function hashOverride(source: string): Promise<string> {
  const info = await lstat(source).catch((error: unknown) => {
    throw new UserError(`--source ${source}: no such file or folder`, { cause: error });
  });
  const hash = createHash('sha256');
  if (!info.isDirectory()) {
    await hashFileInto(source, hash);
    return hash.digest('hex');
  }
  const walk = async (dir: string, relative: string): Promise<void> => {
    const entries = (await readdir(dir, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      if (SKIPPED.has(entry.name)) continue;
      const full = path.join(dir, entry.name);
      const name = path.posix.join(relative, entry.name);
      if (entry.isDirectory()) {
        hash.update(`d ${name}\0`);
        await walk(full, name);
      } else if (entry.isSymbolicLink()) {
        hash.update(`l ${name} ${await readlink(full)}\0`);
      } else if (entry.isFile()) {
        const executable = ((await lstat(full)).mode & 0o111) !== 0;
        hash.update(`f ${name} ${executable ? 'x' : '-'}\0`);
        await hashFileInto(full, hash);
        hash.update('\0');
      }
    }
  };
  await walk(source, '');
  return hash.digest('hex');
}

/** Puts a local source into `dest`: a folder is copied (without VCS folders), a tarball unpacked. */
export async function placeOverride(source: string, target: UnpackTarget, log?: (line: string) => void): Promise<void> {
  const { dest } = target;
  await rm(dest, { recursive: true, force: true });
  if ((await lstat(source)).isDirectory()) {
    await cp(source, dest, { recursive: true, verbatimSymlinks: true, filter: (from) => !SKIPPED.has(path.basename(from)) });
  } else {
    await unpackArchive(source, target, log);
  }
}
