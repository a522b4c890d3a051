import { execFileSync } from 'node:child_process';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { hasDebugOrSymbols } from '../../src/formats/elf-dynamic.js';
import { fileHasDebugOrSymbols, stripHostBinary } from '../../src/package/strip.js';
import { tempDir } from '../support/tmp.js';

describe('stripping host binaries', () => {
  it('tells from the headers alone what hasDebugOrSymbols tells from the whole file', async () => {
    const dir = await tempDir();
    writeFileSync(path.join(dir, 'main.c'), 'int main(void) { return 0; }\n');
    execFileSync('gcc', ['-g', '-o', 'prog', 'main.c'], { cwd: dir });
    execFileSync('strip', ['-o', 'prog.stripped', 'prog'], { cwd: dir });
    execFileSync('strip', ['--strip-debug', '-o', 'prog.symbols', 'prog'], { cwd: dir });
    writeFileSync(path.join(dir, 'script'), '#!/bin/sh\n');
    for (const name of ['prog', 'prog.stripped', 'prog.symbols', 'script']) {
      const file = path.join(dir, name);
      expect(await fileHasDebugOrSymbols(file), name).toBe(hasDebugOrSymbols(readFileSync(file)));
    }
    expect(await fileHasDebugOrSymbols(path.join(dir, 'prog.symbols'))).toBe(true);
  });

  it('writes a stripped copy, leaving the file as it was, and says why it could not', async () => {
    const dir = await tempDir();
    writeFileSync(path.join(dir, 'main.c'), 'int main(void) { return 0; }\n');
    execFileSync('gcc', ['-g', '-o', 'prog', 'main.c'], { cwd: dir });
    const file = path.join(dir, 'prog');
    const before = readFileSync(file);
    const copy = path.join(dir, 'copy');
    await stripHostBinary(file, 'usr/bin/prog', copy);
    expect(readFileSync(file)).toEqual(before);
    expect(statSync(copy).size).toBeLessThan(before.length);
    expect(hasDebugOrSymbols(readFileSync(copy))).toBe(false);
    await expect(stripHostBinary(path.join(dir, 'main.c'), 'usr/bin/main.c', copy)).rejects.toThrow(/^cannot strip usr\/bin\/main\.c: /);
  });
});
