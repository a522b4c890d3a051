import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ArError, ArchiveIndex, memberData, parseArchive, writeArchive } from '../../src/formats/ar.js';
import { tempDir } from '../support/tmp.js';

describe('ar archives', () => {
  it('reads a GNU archive made by the system ar, long names included', async () => {
    const dir = await tempDir();
    const names = ['a.o', 'a-member-with-a-very-long-name.o', 'b.o'];
    for (const [i, name] of names.entries()) writeFileSync(path.join(dir, name), `contents ${i}${'x'.repeat(i)}`);
    execFileSync('ar', ['rc', 'lib.a', ...names], { cwd: dir });
    const bytes = readFileSync(path.join(dir, 'lib.a'));
    const archive = parseArchive(bytes);
    expect(archive.variant).toBe('gnu');
    const files = archive.members.filter((m) => m.kind === 'file');
    expect(files.map((m) => m.name)).toEqual(names);
    expect(Buffer.from(memberData(bytes, files[1]!)).toString()).toBe('contents 1x');
  });

  it('writes what the system ar reads back', async () => {
    const dir = await tempDir();
    const archive = writeArchive([
      { name: 'debian-binary', data: Buffer.from('2.0\n') },
      { name: 'odd', data: Buffer.from('abc') },
    ]);
    writeFileSync(path.join(dir, 'out.a'), archive);
    expect(execFileSync('ar', ['t', 'out.a'], { cwd: dir }).toString().split('\n').filter(Boolean)).toEqual(['debian-binary', 'odd']);
    expect(execFileSync('ar', ['p', 'out.a', 'odd'], { cwd: dir }).toString()).toBe('abc');
  });

  it('reads the metadata fields the system ar writes, and scans to the same places', async () => {
    const dir = await tempDir();
    writeFileSync(path.join(dir, 'm.txt'), 'odd');
    execFileSync('chmod', ['640', path.join(dir, 'm.txt')]);
    execFileSync('touch', ['-d', '@1234567890', path.join(dir, 'm.txt')]);
    // U: real timestamps, owners and modes instead of Debian's deterministic zeros.
    execFileSync('ar', ['rcU', 'out.a', 'm.txt'], { cwd: dir });
    const bytes = readFileSync(path.join(dir, 'out.a'));
    const [member] = parseArchive(bytes).members;
    expect(member).toMatchObject({ name: 'm.txt', mtime: 1234567890, mode: 0o100640, uid: process.getuid!(), gid: process.getgid!(), size: 3 });
    const index = new ArchiveIndex(bytes);
    expect(index.count).toBe(1);
    expect(index.entry(0)).toEqual({ name: 'm.txt', kind: 'file', headerOffset: 8, dataOffset: 68, size: 3 });
  });

  it('refuses header fields that are not numbers in their base', () => {
    const header = (mode: string): Buffer => Buffer.from(`!<arch>\n${'a/'.padEnd(16)}${'0'.padEnd(12)}${'0'.padEnd(6)}${'0'.padEnd(6)}${mode.padEnd(8)}${'0'.padEnd(10)}\`\n`);
    expect(parseArchive(header('100644')).members[0]!.mode).toBe(0o100644);
    expect(() => parseArchive(header('100648'))).toThrow(/bad mode field "100648" at offset 48/);
    expect(() => parseArchive(header('10x644'))).toThrow(/bad mode field/);
  });

  it('refuses thin archives and garbage', () => {
    expect(() => parseArchive(Buffer.from('!<thin>\n'))).toThrow(ArError);
    expect(() => parseArchive(Buffer.from('hello world'))).toThrow(/not an ar archive/);
    expect(() => parseArchive(Buffer.from('!<arch>\nshort'))).toThrow(/truncated/);
  });

  it('refuses broken GNU long-name references, naming them', () => {
    const member = (name: string, data: string): string => `${name.padEnd(16)}${'0'.padEnd(12)}${'0'.padEnd(6)}${'0'.padEnd(6)}${'644'.padEnd(8)}${String(data.length).padEnd(10)}\`\n${data}${data.length % 2 ? '\n' : ''}`;
    const table = member('//', 'a-long-member-name.o/\n');
    const archive = (...members: string[]): Buffer => Buffer.from(`!<arch>\n${members.join('')}`, 'latin1');
    expect(new ArchiveIndex(archive(table, member('/0', 'x'))).name(1)).toBe('a-long-member-name.o');
    expect(() => new ArchiveIndex(archive(member('/0', 'x')))).toThrow('bad long name reference /0 at offset 8 (no // table before it)');
    expect(() => new ArchiveIndex(archive(table, member('/99', 'x')))).toThrow(/bad long name reference \/99 at offset/);
    expect(() => new ArchiveIndex(archive(table, member('/1x', 'x')))).toThrow(/bad long name reference field "\/?1x"/);
  });
});
