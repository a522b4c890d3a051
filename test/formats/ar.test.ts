import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ArError, memberData, parseArchive, writeArchive } from '../../src/formats/ar.js';
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

  it('refuses thin archives and garbage', () => {
    expect(() => parseArchive(Buffer.from('!<thin>\n'))).toThrow(ArError);
    expect(() => parseArchive(Buffer.from('hello world'))).toThrow(/not an ar archive/);
    expect(() => parseArchive(Buffer.from('!<arch>\nshort'))).toThrow(/truncated/);
  });
});
