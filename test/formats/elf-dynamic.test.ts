import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ET_DYN, ET_EXEC, ET_REL, hasDebugOrSymbols, readElfIdentity } from '../../src/formats/elf-dynamic.js';
import { ElfError } from '../../src/formats/elf.js';

describe('ELF identity and symbols', () => {
  let dir: string;
  const file = (name: string): string => path.join(dir, name);

  // One set of binaries for every test here (tempDir() would remove it after the first).
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'ht-elf-'));
    writeFileSync(file('lib.c'), 'double half(double x) { return x / 2; }\n');
    writeFileSync(file('main.c'), '#include <math.h>\n#include <stdio.h>\ndouble half(double);\nint main(int c, char **v) { printf("%f\\n", sqrt(half(c))); return 0; }\n');
    execFileSync('gcc', ['-shared', '-fPIC', '-Wl,-soname,libhalf.so.2', '-o', 'libhalf.so.2', 'lib.c'], { cwd: dir });
    execFileSync('gcc', ['-g', '-no-pie', '-o', 'prog', 'main.c', './libhalf.so.2', '-lm'], { cwd: dir });
    execFileSync('gcc', ['-c', '-o', 'obj.o', 'lib.c'], { cwd: dir });
    execFileSync('strip', ['-o', 'prog.stripped', 'prog'], { cwd: dir });
  });

  it('takes a file without section headers (as sstrip leaves it) as stripped', () => {
    const bytes = Buffer.from(readFileSync(file('prog.stripped')));
    // Forget the section header table (as sstrip does): e_shoff, e_shnum, e_shstrndx.
    bytes.writeBigUInt64LE(0n, 40);
    bytes.writeUInt16LE(0, 60);
    bytes.writeUInt16LE(0, 62);
    expect(hasDebugOrSymbols(bytes)).toBe(false);
  });

  it('tells objects, programs and libraries apart and sees symbols until strip removes them', () => {
    const object = readElfIdentity(readFileSync(file('obj.o')))!;
    expect(object).toMatchObject({ is64: true, littleEndian: true, type: ET_REL, machine: 62, osabi: 0 });
    expect(readElfIdentity(readFileSync(file('libhalf.so.2')))!.type).toBe(ET_DYN);
    expect(readElfIdentity(readFileSync(file('prog')))!.type).toBe(ET_EXEC);
    expect(hasDebugOrSymbols(readFileSync(file('prog')))).toBe(true);
    expect(hasDebugOrSymbols(readFileSync(file('prog.stripped')))).toBe(false);
    expect(readElfIdentity(Buffer.from('#!/bin/sh\necho not elf\n'))).toBeUndefined();
  });

  it('reports a damaged file instead of reading past its end', () => {
    const bytes = readFileSync(file('prog'));
    expect(() => hasDebugOrSymbols(bytes.subarray(0, 200))).toThrow(ElfError);
    expect(() => readElfIdentity(bytes.subarray(0, 30))).toThrow(/truncated/);
  });
});
