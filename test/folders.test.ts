import { lstatSync, mkdirSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { emptyFolder, removeIfThere } from '../src/folders.js';
import { tempDir } from './support/tmp.js';

describe('emptyFolder', () => {
  it('makes a folder that was not there, its parents too', async () => {
    const dir = path.join(await tempDir(), 'a', 'b');
    await emptyFolder(dir);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('empties a folder holding files and folders', async () => {
    const dir = path.join(await tempDir(), 'image');
    mkdirSync(path.join(dir, 'usr/bin'), { recursive: true });
    writeFileSync(path.join(dir, 'usr/bin/tool'), 'x');
    await emptyFolder(dir);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('replaces a file or a dangling link where the folder should be, leaving the link target alone', async () => {
    const root = await tempDir();
    writeFileSync(path.join(root, 'file'), 'x');
    await emptyFolder(path.join(root, 'file'));
    expect(lstatSync(path.join(root, 'file')).isDirectory()).toBe(true);
    const kept = path.join(root, 'kept');
    mkdirSync(kept);
    writeFileSync(path.join(kept, 'inside'), 'x');
    symlinkSync(kept, path.join(root, 'link'));
    await emptyFolder(path.join(root, 'link'));
    expect(lstatSync(path.join(root, 'link')).isDirectory()).toBe(true);
    expect(readdirSync(kept)).toEqual(['inside']);
  });

  it('removeIfThere removes a tree or a link (not what it points to), and is fine with nothing there', async () => {
    const root = await tempDir();
    mkdirSync(path.join(root, 'tree/a'), { recursive: true });
    writeFileSync(path.join(root, 'tree/a/f'), 'x');
    symlinkSync(path.join(root, 'tree'), path.join(root, 'link'));
    await removeIfThere(path.join(root, 'link'));
    await removeIfThere(path.join(root, 'missing'));
    expect(readdirSync(root)).toEqual(['tree']);
    await removeIfThere(path.join(root, 'tree'));
    expect(readdirSync(root)).toEqual([]);
  });
});
