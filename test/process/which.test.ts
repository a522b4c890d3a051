import { chmodSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { which } from '../../src/process/which.js';
import { tempDir } from '../support/tmp.js';

/** Two PATH folders: `a` has a folder and a plain file named tool, `b` the real program. */
async function searchPath(): Promise<{ a: string; b: string; value: string }> {
  const root = await tempDir();
  const [a, b] = [path.join(root, 'a'), path.join(root, 'b')];
  mkdirSync(path.join(a, 'tool'), { recursive: true });
  writeFileSync(path.join(a, 'plain'), '');
  mkdirSync(b);
  writeFileSync(path.join(b, 'tool'), '#!/bin/sh\n');
  chmodSync(path.join(b, 'tool'), 0o755);
  writeFileSync(path.join(b, 'plain'), '');
  symlinkSync(path.join(b, 'tool'), path.join(b, 'link'));
  return { a, b, value: ['', a, b].join(path.delimiter) };
}

describe('which', () => {
  it('finds the first executable file, passing over folders and files without the x bit', async () => {
    const { b, value } = await searchPath();
    expect(await which('tool', value)).toBe(path.join(b, 'tool'));
    expect(await which('plain', value)).toBeUndefined();
    expect(await which('absent', value)).toBeUndefined();
    expect(await which('tool', undefined)).toBeUndefined();
  });

  it('takes a name with a slash as a path', async () => {
    const { b } = await searchPath();
    expect(await which(path.join(b, 'tool'), '')).toBe(path.join(b, 'tool'));
    expect(await which(path.join(b, 'plain'), '')).toBeUndefined();
  });

  it('skips what the caller does not want', async () => {
    const { b, value } = await searchPath();
    const skipLinks = async (file: string): Promise<boolean> => file.endsWith('link');
    expect(await which('link', value)).toBe(path.join(b, 'link'));
    expect(await which('link', value, skipLinks)).toBeUndefined();
  });
});
