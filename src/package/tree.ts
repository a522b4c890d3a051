import { lstat, readdir, readlink } from 'node:fs/promises';
import path from 'node:path';
import { HermitError } from '../errors.js';

/** One entry of a package's file system tree, on disk or made in memory. */
export interface TreeEntry {
  /** Relative POSIX path without a leading `./` or a trailing slash; '' is the root. */
  readonly path: string;
  readonly type: 'directory' | 'file' | 'symlink';
  /** Mode as found; the writer normalises it. */
  readonly mode: number;
  /** Seconds since the epoch; the writer clamps it. */
  readonly mtime: number;
  /** Contents size of a file (0 otherwise). */
  readonly size: number;
  readonly linkTarget?: string;
  /** `dev:ino` of a file that has other hard links, so that later paths become links to the first. */
  readonly inode?: string;
  /** A file's contents: a path on disk or bytes made in memory. */
  readonly source?: string | Uint8Array;
}

export class TreeError extends HermitError {}

/** The path of an entry inside a package's tar members: `./`, `./opt/`, `./opt/hermit/bin/gcc`. */
export function archivePath(entry: Pick<TreeEntry, 'path' | 'type'>): string {
  if (entry.path === '') return './';
  return `./${entry.path}${entry.type === 'directory' ? '/' : ''}`;
}

/**
 * Reads a directory tree (without following symlinks). `skip` leaves out a path and, for a
 * directory, everything below it (DEBIAN/ when packing a ready tree). Devices, sockets and
 * fifos have no place in a package and are refused.
 */
export async function walkTree(root: string, skip: (relative: string) => boolean = () => false): Promise<TreeEntry[]> {
  const entries: TreeEntry[] = [];
  const visit = async (relative: string): Promise<void> => {
    const absolute = relative === '' ? root : path.join(root, relative);
    const stats = await lstat(absolute, { bigint: true });
    const base = { path: relative, mode: Number(stats.mode & 0o7777n), mtime: Number(stats.mtimeMs / 1000n) };
    if (stats.isDirectory()) {
      entries.push({ ...base, type: 'directory', size: 0 });
      const names = await readdir(absolute);
      for (const name of names) {
        const child = relative === '' ? name : `${relative}/${name}`;
        if (!skip(child)) await visit(child);
      }
    } else if (stats.isSymbolicLink()) {
      entries.push({ ...base, type: 'symlink', size: 0, linkTarget: await readlink(absolute) });
    } else if (stats.isFile()) {
      entries.push({
        ...base,
        type: 'file',
        size: Number(stats.size),
        source: absolute,
        ...(stats.nlink > 1n ? { inode: `${stats.dev}:${stats.ino}` } : {}),
      });
    } else {
      throw new TreeError(`${absolute}: not a file, directory or symlink (devices, fifos and sockets cannot be packaged)`);
    }
  };
  await visit('');
  return entries;
}

const byteOrder = (a: string, b: string): number => Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));

/**
 * Adds the directories that lead to every entry and are not listed yet (dpkg lists every
 * directory a package creates, `./` first), with the given mtime.
 */
export function withParents(entries: readonly TreeEntry[], mtime: number): TreeEntry[] {
  const all = [...entries];
  const known = new Set(entries.map((e) => e.path));
  for (const entry of entries) {
    let parent = entry.path;
    while (parent !== '') {
      parent = parent.includes('/') ? parent.slice(0, parent.lastIndexOf('/')) : '';
      if (known.has(parent)) continue;
      known.add(parent);
      all.push({ path: parent, type: 'directory', mode: 0o755, mtime, size: 0 });
    }
  }
  return all;
}

/**
 * The order dpkg-deb 1.21 writes entries in: a depth-first walk from the root, each directory
 * before its contents, siblings sorted by their bytes — then every symlink, in walk order, at
 * the end (so that unpacking never creates a file through a symlink made earlier).
 */
export function archiveOrder(entries: readonly TreeEntry[]): TreeEntry[] {
  const children = new Map<string, TreeEntry[]>();
  let root: TreeEntry | undefined;
  for (const entry of entries) {
    if (entry.path === '') {
      root = entry;
      continue;
    }
    const parent = entry.path.includes('/') ? entry.path.slice(0, entry.path.lastIndexOf('/')) : '';
    children.set(parent, [...(children.get(parent) ?? []), entry]);
  }
  if (!root) throw new TreeError('a package tree needs its root directory');
  const walk: TreeEntry[] = [];
  const visit = (entry: TreeEntry): void => {
    walk.push(entry);
    if (entry.type !== 'directory') return;
    const list = (children.get(entry.path) ?? []).sort((a, b) => byteOrder(a.path, b.path));
    for (const child of list) visit(child);
  };
  visit(root);
  if (walk.length !== entries.length) throw new TreeError('some entries have no parent directory in the tree');
  return [...walk.filter((e) => e.type !== 'symlink'), ...walk.filter((e) => e.type === 'symlink')];
}

/** Permissions as packaged: 0755 for directories and anything executable, 0644 for other files. */
export function normalisedMode(entry: Pick<TreeEntry, 'type' | 'mode'>): number {
  if (entry.type === 'symlink') return 0o777;
  if (entry.type === 'directory' || (entry.mode & 0o111) !== 0) return 0o755;
  return 0o644;
}
