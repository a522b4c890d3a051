import { closeSync, lstatSync, openSync, readdirSync, writeSync } from 'node:fs';
import { readFile, rename, rm } from 'node:fs/promises';
import path from 'node:path';

/** One entry of a source tree as it was made: its kind and, for files, its size. */
export interface TreeEntry {
  readonly path: string;
  readonly kind: 'file' | 'dir' | 'link';
  readonly size: number;
}

/** An entry's line of the record: `kind size path`. */
export function listingLine(entry: TreeEntry): string {
  return `${entry.kind} ${entry.size} ${entry.path}\n`;
}

export function parseListing(text: string): TreeEntry[] {
  const entries: TreeEntry[] = [];
  for (const line of text.split('\n')) {
    const match = /^(file|dir|link) (\d+) (.+)$/.exec(line);
    if (match) entries.push({ kind: match[1] as TreeEntry['kind'], size: Number(match[2]), path: match[3]! });
  }
  return entries;
}

/**
 * What is gone or different from the recorded tree. New entries do not count: builds that run
 * in their source tree add files to it as a matter of course.
 */
export function treeChanges(recorded: readonly TreeEntry[], now: readonly TreeEntry[]): string[] {
  const present = new Map(now.map((entry) => [entry.path, entry]));
  const changes: string[] = [];
  for (const entry of recorded) {
    const found = present.get(entry.path);
    if (!found) changes.push(`${entry.path} is missing`);
    else if (found.kind !== entry.kind) changes.push(`${entry.path} is now a ${found.kind}`);
    else if (entry.kind === 'file' && found.size !== entry.size) changes.push(`${entry.path} changed size`);
  }
  return changes;
}

/**
 * Every entry under `root`, paths relative to it (symbolic links are listed, not followed),
 * depth first with each folder's names sorted: the same tree gives the same order on any file
 * system. Synchronous, and one folder's names held at a time: on gcc's tree (120k entries) that
 * takes a fraction of the time and memory of awaiting each call and holding the whole list
 * (docs/performance.md).
 */
export function* walkTree(root: string, relative = ''): Generator<TreeEntry> {
  const dirents = readdirSync(path.join(root, relative), { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const dirent of dirents) {
    const child = relative ? `${relative}/${dirent.name}` : dirent.name;
    if (dirent.isDirectory()) {
      yield { path: child, kind: 'dir', size: 0 };
      yield* walkTree(root, child);
    } else if (dirent.isSymbolicLink()) {
      yield { path: child, kind: 'link', size: 0 };
    } else {
      yield { path: child, kind: 'file', size: lstatSync(path.join(root, child)).size };
    }
  }
}

export function listTree(root: string): TreeEntry[] {
  return [...walkTree(root)];
}

/** Records what the tree holds now, written whole or not at all, as it is walked. */
export async function recordTree(root: string, file: string): Promise<void> {
  const temp = `${file}.tmp-${process.pid}`;
  const fd = openSync(temp, 'w');
  try {
    let batch = '';
    for (const entry of walkTree(root)) {
      batch += listingLine(entry);
      if (batch.length >= 1 << 16) {
        writeSync(fd, batch);
        batch = '';
      }
    }
    writeSync(fd, batch);
  } catch (error) {
    closeSync(fd);
    await rm(temp, { force: true });
    throw error;
  }
  closeSync(fd);
  await rename(temp, file);
}

/**
 * How the tree differs from its record; undefined when there is no record (a tree made before
 * records existed, or by `--touch`) or no tree.
 */
export async function changesSinceRecord(root: string, file: string): Promise<string[] | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    return undefined;
  }
  try {
    return treeChanges(parseListing(text), listTree(root));
  } catch {
    return undefined;
  }
}
