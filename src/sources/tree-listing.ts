import { lstat, readFile, readdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';

/** One entry of a source tree as it was made: its kind and, for files, its size. */
export interface TreeEntry {
  readonly path: string;
  readonly kind: 'file' | 'dir' | 'link';
  readonly size: number;
}

/** One line per entry, `kind size path`, sorted: the record is the same for the same tree. */
export function formatListing(entries: readonly TreeEntry[]): string {
  return [...entries]
    .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
    .map((entry) => `${entry.kind} ${entry.size} ${entry.path}\n`)
    .join('');
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

/** Every entry under `root`, paths relative to it (symbolic links are listed, not followed). */
export async function listTree(root: string): Promise<TreeEntry[]> {
  const entries: TreeEntry[] = [];
  const walk = async (relative: string): Promise<void> => {
    for (const dirent of await readdir(path.join(root, relative), { withFileTypes: true })) {
      const child = relative ? `${relative}/${dirent.name}` : dirent.name;
      if (dirent.isDirectory()) {
        entries.push({ path: child, kind: 'dir', size: 0 });
        await walk(child);
      } else if (dirent.isSymbolicLink()) {
        entries.push({ path: child, kind: 'link', size: 0 });
      } else {
        entries.push({ path: child, kind: 'file', size: (await lstat(path.join(root, child))).size });
      }
    }
  };
  await walk('');
  return entries;
}

/** Records what the tree holds now, written whole or not at all. */
export async function recordTree(root: string, file: string): Promise<void> {
  const temp = `${file}.tmp-${process.pid}`;
  await writeFile(temp, formatListing(await listTree(root)));
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
    return treeChanges(parseListing(text), await listTree(root));
  } catch {
    return undefined;
  }
}
