import { mkdirSync, readFileSync, rmSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { changesSinceRecord, listTree, listingLine, parseListing, recordTree, treeChanges, type TreeEntry } from '../../src/sources/tree-listing.js';
import { tempDir } from '../support/tmp.js';

const file = (p: string, size: number): TreeEntry => ({ path: p, kind: 'file', size });

describe('tree listings', () => {
  it('format and parse back, paths with spaces kept', () => {
    const entries: TreeEntry[] = [file('b c/d', 3), { path: 'a', kind: 'dir', size: 0 }, { path: 'l', kind: 'link', size: 0 }];
    const text = entries.map(listingLine).join('');
    expect(text).toBe('file 3 b c/d\ndir 0 a\nlink 0 l\n');
    expect(parseListing(text)).toEqual(entries);
  });

  it('name what is missing, changed in size or in kind, and ignore what was added', () => {
    const recorded = [file('a', 1), file('b', 2), file('c', 3), { path: 'd', kind: 'dir' as const, size: 0 }];
    const now = [file('a', 1), file('b', 5), { path: 'd', kind: 'link' as const, size: 0 }, file('new', 9)];
    expect(treeChanges(recorded, now)).toEqual(['b changed size', 'c is missing', 'd is now a link']);
    expect(treeChanges(recorded, recorded)).toEqual([]);
  });

  it('read a real tree: files with sizes, folders, links not followed', async () => {
    const root = await tempDir();
    mkdirSync(path.join(root, 'sub'));
    writeFileSync(path.join(root, 'sub/x'), 'four');
    symlinkSync('/nonexistent', path.join(root, 'dangling'));
    writeFileSync(path.join(root, 'a-file'), '');
    expect(listTree(root).map(listingLine).join('')).toBe('file 0 a-file\nlink 0 dangling\ndir 0 sub\nfile 4 sub/x\n');
    const record = path.join(await tempDir(), 'record');
    await recordTree(root, record);
    expect(readFileSync(record, 'utf8')).toBe('file 0 a-file\nlink 0 dangling\ndir 0 sub\nfile 4 sub/x\n');
  });

  it('compare a tree with its record: a deleted or truncated file is reported, a new one is not', async () => {
    const root = await tempDir();
    const tree = path.join(root, 'tree');
    mkdirSync(path.join(tree, 'sub'), { recursive: true });
    writeFileSync(path.join(tree, 'sub/x'), 'four');
    writeFileSync(path.join(tree, 'y'), 'yy');
    const record = path.join(root, 'record');
    expect(await changesSinceRecord(tree, record)).toBeUndefined();
    await recordTree(tree, record);
    expect(await changesSinceRecord(tree, record)).toEqual([]);
    writeFileSync(path.join(tree, 'made-by-a-build.o'), '');
    expect(await changesSinceRecord(tree, record)).toEqual([]);
    rmSync(path.join(tree, 'y'));
    truncateSync(path.join(tree, 'sub/x'), 1);
    expect(await changesSinceRecord(tree, record)).toEqual(['sub/x changed size', 'y is missing']);
    rmSync(tree, { recursive: true });
    expect(await changesSinceRecord(tree, record)).toBeUndefined();
  });
});
