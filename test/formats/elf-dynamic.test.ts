import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ET_DYN, ET_REL, hasDebugOrSymbols, readDynamic, readElfIdentity } from '../../src/formats/elf-dynamic.js';
import { ElfError } from '../../src/formats/elf.js';

/** readelf's view of the dynamic section: the oracle. */
function readelfDynamic(file: string): { needed: string[]; soname?: string; runpath?: string } {
  const text = execFileSync('readelf', ['-d', '-W', file]).toString();
  const values = (tag: string): string[] => [...text.matchAll(new RegExp(`\\(${tag}\\)\\s+\\S.*\\[(.*)\\]`, 'g'))].map((m) => m[1]!);
  const soname = values('SONAME')[0];
  const runpath = values('RUNPATH')[0];
  return { needed: values('NEEDED'), ...(soname ? { soname } : {}), ...(runpath ? { runpath } : {}) };
}

describe('ELF dynamic sections', () => {
  let dir: string;
  const file = (name: string): string => path.join(dir, name);

  // One set of binaries for every test here (tempDir() would remove it after the first).
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'ht-elf-'));
    writeFileSync(file('lib.c'), 'double half(double x) { return x / 2; }\n');
    writeFileSync(file('main.c'), '#include <math.h>\n#include <stdio.h>\ndouble half(double);\nint main(int c, char **v) { printf("%f\\n", sqrt(half(c))); return 0; }\n');
    execFileSync('gcc', ['-shared', '-fPIC', '-Wl,-soname,libhalf.so.2', '-o', 'libhalf.so.2', 'lib.c'], { cwd: dir });
    execFileSync('gcc', ['-g', '-o', 'prog', 'main.c', './libhalf.so.2', '-lm', '-Wl,--enable-new-dtags,-rpath,$ORIGIN/../lib'], { cwd: dir });
    execFileSync('gcc', ['-c', '-o', 'obj.o', 'lib.c'], { cwd: dir });
    execFileSync('strip', ['-o', 'prog.stripped', 'prog'], { cwd: dir });
  });

  it('finds what readelf finds: NEEDED in order, SONAME, RUNPATH', () => {
    for (const name of ['prog', 'libhalf.so.2', 'prog.stripped']) {
      const dynamic = readDynamic(readFileSync(file(name)))!;
      const oracle = readelfDynamic(file(name));
      expect(dynamic.needed).toEqual(oracle.needed);
      expect(dynamic.soname).toBe(oracle.soname);
      expect(dynamic.runpath).toBe(oracle.runpath);
    }
    expect(readDynamic(readFileSync(file('prog')))!.needed).toEqual(expect.arrayContaining(['libhalf.so.2', 'libm.so.6', 'libc.so.6']));
    expect(readDynamic(readFileSync(file('prog')))!.hasInterpreter).toBe(true);
    expect(readDynamic(readFileSync(file('libhalf.so.2')))!.hasInterpreter).toBe(false);
  });

  it('reads the dynamic section through program headers, so files without section headers work', () => {
    const bytes = Buffer.from(readFileSync(file('prog.stripped')));
    // Forget the section header table (as sstrip does): e_shoff, e_shnum, e_shstrndx.
    bytes.writeBigUInt64LE(0n, 40);
    bytes.writeUInt16LE(0, 60);
    bytes.writeUInt16LE(0, 62);
    expect(readDynamic(bytes)!.needed).toEqual(readelfDynamic(file('prog')).needed);
    expect(hasDebugOrSymbols(bytes)).toBe(false);
  });

  it('tells objects, programs and libraries apart and sees symbols until strip removes them', () => {
    const object = readElfIdentity(readFileSync(file('obj.o')))!;
    expect(object).toMatchObject({ is64: true, littleEndian: true, type: ET_REL, machine: 62, osabi: 0 });
    expect(readElfIdentity(readFileSync(file('libhalf.so.2')))!.type).toBe(ET_DYN);
    expect(readDynamic(readFileSync(file('obj.o')))).toBeUndefined();
    expect(hasDebugOrSymbols(readFileSync(file('prog')))).toBe(true);
    expect(hasDebugOrSymbols(readFileSync(file('prog.stripped')))).toBe(false);
    expect(readElfIdentity(Buffer.from('#!/bin/sh\necho not elf\n'))).toBeUndefined();
  });

  it('reports a damaged file instead of reading past its end', () => {
    const bytes = readFileSync(file('prog'));
    expect(() => readDynamic(bytes.subarray(0, 200))).toThrow(ElfError);
    expect(() => readElfIdentity(bytes.subarray(0, 30))).toThrow(/truncated/);
  });
});
