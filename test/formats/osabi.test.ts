import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ArchiveIndex, quickFileContents } from '../../src/formats/ar.js';
import { isSoundElfHeader } from '../../src/formats/elf.js';
import { OSABI_NAMES, describeOsabi, locateOsabi, osabiLabel, osabiName, parseOsabi } from '../../src/formats/osabi.js';
import { compile, handmadeElf } from '../support/elf.js';
import { tempDir } from '../support/tmp.js';

/** A BSD-style member: `#1/N` in the header, the name in front of the contents. */
function bsdMember(name: string, data: Buffer): Buffer {
  const nameField = Buffer.alloc(Math.ceil(name.length / 4) * 4 + 4, 0);
  nameField.write(name, 'latin1');
  const size = nameField.length + data.length;
  const header = `#1/${nameField.length}`.padEnd(16) + '0'.padEnd(12) + '0'.padEnd(6) + '0'.padEnd(6) + '100644'.padEnd(8) + String(size).padEnd(10) + '`\n';
  return Buffer.concat([Buffer.from(header, 'latin1'), nameField, data, Buffer.alloc(size % 2, 0x0a)]);
}

describe('OS/ABI names', () => {
  it('has exactly the names the system elfedit accepts, plus HermitCore and Standalone', () => {
    const help = execFileSync('elfedit', ['--help']).toString();
    const listed = /--output-osabi \[([^\]]+)\]/.exec(help)![1]!.split('|');
    expect(OSABI_NAMES.map(([name]) => name)).toEqual([...listed, 'HermitCore', 'Standalone']);
  });

  it('gives every name the value the system elfedit writes for it', async () => {
    const dir = await tempDir();
    const file = path.join(dir, 'h.o');
    for (const [name, value] of OSABI_NAMES.filter(([n]) => n !== 'HermitCore' && n !== 'Standalone')) {
      writeFileSync(file, handmadeElf({ bits: 64, endian: 'little', osabi: value === 0 ? 1 : 0 }));
      execFileSync('elfedit', ['--output-osabi', name, file]);
      expect([name, readFileSync(file)[7]]).toEqual([name, value]);
    }
  });

  it('reads names in any case and numbers 0-255', () => {
    expect(parseOsabi('standalone')).toBe(0xff);
    expect(parseOsabi('HERMITCORE')).toBe(0x42);
    expect(parseOsabi('linux')).toBe(3);
    expect(parseOsabi('66')).toBe(66);
    expect(parseOsabi('0xff')).toBe(255);
    expect(parseOsabi(0)).toBe(0);
    expect(parseOsabi('256')).toBeUndefined();
    expect(parseOsabi(-1)).toBeUndefined();
    expect(parseOsabi('Hermit')).toBeUndefined();
    expect(osabiName(3)).toBe('GNU');
    expect(describeOsabi(0xff)).toBe('Standalone (0xff)');
    expect(describeOsabi(0x61)).toBe('unknown (0x61)');
  });
});

describe('finding OS/ABI bytes', () => {
  it('finds the byte of every member of a GNU archive made by the system ar', async () => {
    const dir = await tempDir();
    const a = compile(dir, 'a.o', 'int f(void) { return 1; }\n', ['-c']);
    const b = compile(dir, 'a-long-member-name.o', 'int g(void) { return 2; }\n', ['-c']);
    execFileSync('ar', ['rcs', 'lib.a', a, b], { cwd: dir });
    const bytes = readFileSync(path.join(dir, 'lib.a'));
    const found = locateOsabi(bytes);
    expect(found.kind).toBe('archive');
    expect(found.problems).toEqual([]);
    expect(Array.from(found.offsets, (_, i) => found.member(i))).toEqual(['a.o', 'a-long-member-name.o']);
    // Each offset is the member's contents (found independently, by searching) plus 7.
    for (const [offset, object] of Array.from(found.offsets, (o, i) => [o, readFileSync([a, b][i]!)] as const)) {
      expect(bytes.indexOf(object)).toBe(offset - 7);
      expect(bytes[offset]).toBe(0);
    }
    expect(osabiLabel('lib.a', found.member(1))).toBe('lib.a(a-long-member-name.o)');
    expect(osabiLabel('a.o', undefined)).toBe('a.o');
  });

  it('reads BSD archives, skipping their symbol table', () => {
    const elf32 = handmadeElf({ bits: 32, endian: 'big', osabi: 9 });
    const elf64 = handmadeElf({ bits: 64, endian: 'little', osabi: 0xff, trailing: 1 });
    const bytes = Buffer.concat([
      Buffer.from('!<arch>\n'),
      bsdMember('__.SYMDEF SORTED', Buffer.from('symbols')),
      bsdMember('first-member-with-long-name.o', elf32),
      bsdMember('b.o', elf64),
    ]);
    const found = locateOsabi(bytes);
    expect(found.problems).toEqual([]);
    expect(Array.from(found.offsets, (offset, i) => [found.member(i), bytes[offset]])).toEqual([
      ['first-member-with-long-name.o', 9],
      ['b.o', 0xff],
    ]);
    // Independently: the byte 7 after each member's magic.
    expect([...found.offsets]).toEqual([bytes.indexOf(elf32) + 7, bytes.indexOf(elf64) + 7]);
  });

  it('finds the byte of a lone ELF file', () => {
    const found = locateOsabi(handmadeElf({ bits: 32, endian: 'little', osabi: 3 }));
    expect(found).toMatchObject({ kind: 'elf', offsets: Uint32Array.of(7), problems: [] });
    expect(found.member(0)).toBeUndefined();
  });

  it('names every problem: non-ELF members, thin archives, other files, broken headers', async () => {
    const dir = await tempDir();
    const a = compile(dir, 'a.o', 'int f(void) { return 1; }\n', ['-c']);
    writeFileSync(path.join(dir, 'note.txt'), 'hello\n');
    writeFileSync(path.join(dir, 'short.o'), readFileSync(a).subarray(0, 40));
    execFileSync('ar', ['rc', 'mixed.a', 'a.o', 'note.txt', 'short.o'], { cwd: dir });
    execFileSync('ar', ['rcT', 'thin.a', 'a.o'], { cwd: dir });
    const mixed = locateOsabi(readFileSync(path.join(dir, 'mixed.a')));
    expect(Array.from(mixed.offsets, (_, i) => mixed.member(i))).toEqual(['a.o']);
    expect(mixed.problems).toEqual([
      { member: 'note.txt', problem: 'not an ELF file (no \\x7fELF magic)' },
      { member: 'short.o', problem: 'truncated ELF header (40 bytes, ELF64 needs 64)' },
    ]);
    expect(locateOsabi(readFileSync(path.join(dir, 'thin.a'))).problems[0]!.problem).toMatch(/^thin archive/);
    expect(locateOsabi(Buffer.from('hello\n')).problems[0]!.problem).toBe('neither an ELF file nor an ar archive');
    expect(locateOsabi(Buffer.from('!<arch>\nshort')).problems[0]!.problem).toMatch(/^corrupt archive: truncated member header/);
    expect(locateOsabi(readFileSync(a).subarray(0, 20)).problems[0]!.problem).toMatch(/truncated ELF header/);
  });

  it('takes the quick path exactly where it gives the general path\'s answer', async () => {
    const dir = await tempDir();
    const a = compile(dir, 'a.o', 'int f(void) { return 1; }\n', ['-c']);
    compile(dir, 'a-long-member-name.o', 'int g(void) { return 2; }\n', ['-c']);
    compile(dir, '_under.o', 'int h(void) { return 3; }\n', ['-c']);
    writeFileSync(path.join(dir, 'note.txt'), 'hello\n');
    execFileSync('ar', ['rcs', 'gnu.a', 'a.o', 'a-long-member-name.o', '_under.o'], { cwd: dir });
    execFileSync('ar', ['rc', 'mixed.a', 'a.o', 'note.txt'], { cwd: dir });
    const host = '/usr/lib/x86_64-linux-gnu/libc_nonshared.a';
    const bsd = Buffer.concat([Buffer.from('!<arch>\n'), bsdMember('__.SYMDEF SORTED', Buffer.from('symbols')), bsdMember('b.o', readFileSync(a))]);
    /** The general path's answer: where every file member's contents start. */
    const general = (bytes: Buffer): number[] => {
      const index = new ArchiveIndex(bytes);
      return Array.from({ length: index.count }, (_, i) => i).filter((i) => index.isFile(i)).map((i) => index.dataOffset(i));
    };
    const quickly = (bytes: Buffer): number[] | undefined => {
      const starts = quickFileContents(bytes, (data, at, length) => (isSoundElfHeader(data, at, length) ? at : -1));
      return starts && [...starts];
    };
    for (const file of [path.join(dir, 'gnu.a'), host]) {
      const bytes = readFileSync(file);
      expect([file, quickly(bytes)]).toEqual([file, general(bytes)]);
      const found = locateOsabi(bytes);
      expect([...found.offsets]).toEqual(general(bytes).map((start) => start + 7));
      // Names come from the index when asked for, member by member.
      expect(Array.from(found.offsets, (_, i) => found.member(i))).toEqual(execFileSync('ar', ['t', file]).toString().trim().split('\n'));
    }
    // It gives up (undefined) on what the general path must look at: a non-ELF member, BSD names.
    expect(quickly(readFileSync(path.join(dir, 'mixed.a')))).toBeUndefined();
    expect(quickly(bsd)).toBeUndefined();
    expect([...locateOsabi(bsd).offsets]).toEqual(general(bsd).map((start) => start + 7));
  });
});
