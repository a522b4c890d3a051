import { execFileSync } from 'node:child_process';
import { linkSync, mkdirSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { TarFormatError, TarStreamFilter, headerNumber, paxRecords, type TarMember } from '../../src/formats/tar-stream.js';
import { paxBody, rawTar } from '../support/tarball.js';
import { tempDir } from '../support/tmp.js';

/** Runs `bytes` through a filter in chunks of `chunk` bytes; returns the members and what was passed on. */
function filterAll(bytes: Buffer, admit: (member: TarMember) => boolean = () => true, chunk = 4096): { members: TarMember[]; passed: Buffer } {
  const members: TarMember[] = [];
  const filter = new TarStreamFilter((member) => (members.push(member), admit(member)));
  const out: Buffer[] = [];
  for (let at = 0; at < bytes.length; at += chunk) out.push(...filter.write(bytes.subarray(at, at + chunk)));
  out.push(...filter.end());
  return { members, passed: Buffer.concat(out) };
}

/** What GNU tar lists of an archive on its stdin. */
const gnuList = (bytes: Buffer): string[] => execFileSync('tar', ['-tf', '-'], { input: bytes }).toString().trim().split('\n').filter(Boolean);

/** A tree with long names, a long link target, a hard link and a symlink, archived by GNU tar in `format`. */
async function gnuArchive(format: 'gnu' | 'pax'): Promise<Buffer> {
  const dir = await tempDir();
  const deep = path.join(dir, 'top', 'd'.repeat(90), 'e'.repeat(90));
  mkdirSync(deep, { recursive: true });
  writeFileSync(path.join(deep, 'f'.repeat(40)), 'long\n');
  writeFileSync(path.join(dir, 'top/a.txt'), 'a'.repeat(1000));
  linkSync(path.join(dir, 'top/a.txt'), path.join(dir, 'top/hard.txt'));
  symlinkSync(`${'d'.repeat(90)}/${'e'.repeat(90)}/${'f'.repeat(40)}`, path.join(dir, 'top/sym'));
  return execFileSync('tar', [`--format=${format}`, '--sort=name', '-cf', '-', 'top'], { cwd: dir });
}

describe('tar stream filter', () => {
  it.each(['gnu', 'pax'] as const)('reads the %s format as GNU tar does, and passes it on unchanged up to its end', async (format) => {
    const archive = await gnuArchive(format);
    for (const chunk of [1, 511, 512, 4096, archive.length]) {
      const { members, passed } = filterAll(archive, () => true, chunk);
      const long = `top/${'d'.repeat(90)}/${'e'.repeat(90)}/${'f'.repeat(40)}`;
      expect(members.map((m) => [m.kind, m.names[0], m.size])).toEqual([
        ['directory', 'top/', 0],
        ['file', 'top/a.txt', 1000],
        ['directory', `top/${'d'.repeat(90)}/`, 0],
        ['directory', `top/${'d'.repeat(90)}/${'e'.repeat(90)}/`, 0],
        ['file', long, 5],
        ['hardlink', 'top/hard.txt', 0],
        ['symlink', 'top/sym', 0],
      ]);
      expect(members[5]!.links[0]).toBe('top/a.txt');
      expect(members[6]!.links[0]).toBe(long.slice('top/'.length));
      // Everything up to the end-of-archive blocks, which are passed on as two zero blocks.
      const end = passed.length - 1024;
      expect(passed.subarray(0, end).equals(archive.subarray(0, end))).toBe(true);
      expect(gnuList(passed)).toEqual(gnuList(archive));
    }
  });

  it('leaves out a member it is told to drop, with its pax and long-name headers', async () => {
    const archive = await gnuArchive('pax');
    const { passed } = filterAll(archive, (member) => member.kind !== 'file');
    expect(gnuList(passed)).toEqual(gnuList(archive).filter((name) => !['top/a.txt', `top/${'d'.repeat(90)}/${'e'.repeat(90)}/${'f'.repeat(40)}`].includes(name)));
    const gnu = await gnuArchive('gnu');
    expect(gnuList(filterAll(gnu, (member) => member.kind !== 'file').passed)).toHaveLength(5);
  });

  it('gives every name the headers carry, the one GNU tar uses first', () => {
    const archive = rawTar([
      { name: 'short', pax: { path: 'from-pax' }, longName: 'from-long-name' },
      { name: 'only-long', longName: 'long-wins' },
      { name: 'l', type: 'symlink', link: 'header-target', pax: { linkpath: 'pax-target' } },
      { name: 'empty-pax-path-ignored', pax: { path: '' } },
    ]);
    const { members } = filterAll(archive);
    expect(members.map((m) => m.names)).toEqual([['from-pax', 'from-long-name'], ['long-wins'], ['l'], ['empty-pax-path-ignored']]);
    expect(members[2]!.links).toEqual(['pax-target', 'header-target']);
  });

  it('takes the pax size over the header size, and a trailing slash for a folder', () => {
    const archive = rawTar([{ name: 'x', data: 'abc', size: 0, pax: { size: '3' } }, { name: 'dir/', size: 0 }, { name: 'after', data: 'z' }]);
    const { members } = filterAll(archive);
    expect(members.map((m) => [m.kind, m.names[0], m.size])).toEqual([
      ['file', 'x', 3],
      ['directory', 'dir/', 0],
      ['file', 'after', 1],
    ]);
  });

  it('never passes on a sparse file, a device or a FIFO, and names what it is', async () => {
    const dir = await tempDir();
    mkdirSync(path.join(dir, 'd'));
    writeFileSync(path.join(dir, 'd/sparse'), '');
    truncateSync(path.join(dir, 'd/sparse'), 10 << 20);
    writeFileSync(path.join(dir, 'd/after'), 'after');
    for (const format of ['gnu', 'pax']) {
      const archive = execFileSync('tar', [`--format=${format}`, '-S', '--sort=name', '-cf', '-', 'd'], { cwd: dir });
      const { members, passed } = filterAll(archive, () => true);
      expect(members.map((m) => [m.kind, m.what, m.names[0]]), format).toEqual([
        ['directory', '', 'd/'],
        ['file', '', 'd/after'],
        ['other', 'a sparse file', 'd/sparse'],
      ]);
      expect(gnuList(passed)).toEqual(['d/', 'd/after']);
    }
    const devices = filterAll(rawTar([{ name: 'c', type: 'chardev' }, { name: 'p', type: 'fifo' }, { name: 'f', data: 'f' }]), () => true);
    expect(devices.members.map((m) => m.what)).toEqual(['a character device', 'a FIFO', '']);
    expect(gnuList(devices.passed)).toEqual(['f']);
  });

  it('passes nothing after it is stopped, and nothing after the end of the archive', () => {
    const archive = rawTar([{ name: 'a', data: 'a' }, { name: 'b', data: 'b' }]);
    const filter = new TarStreamFilter((member) => {
      if (member.names[0] === 'b') filter.stopPassing();
      return true;
    });
    const passed = Buffer.concat([...filter.write(Buffer.concat([archive, Buffer.from('trailing garbage')])), ...filter.end()]);
    expect(filter.ended).toBe(true);
    expect(gnuList(passed)).toEqual(['a']);
  });

  it.each<[string, Buffer, RegExp]>([
    ['bytes that are no tar', Buffer.alloc(512, 'x'), /^not a tar archive$/],
    ['less than a header', Buffer.from('not gzip at all\n'), /^not a tar archive$/],
    ['a later header with a bad checksum', (() => {
      const archive = rawTar([{ name: 'a', data: 'a' }, { name: 'b', data: 'b' }]);
      archive[1024 + 10] = 0x7a;
      return archive;
    })(), /^a corrupt tar header at byte 1024$/],
    ['an archive cut in a member', rawTar([{ name: 'a', data: 'x'.repeat(2000) }]).subarray(0, 1500), /ends in the middle of a member/],
    ['a folder with contents', rawTar([{ name: 'd', type: 'dir', size: 512 }]), /d: a folder with contents \(512 bytes\)/],
    ['a link with contents', rawTar([{ name: 'l', type: 'symlink', link: 'x', size: 1 }]), /l: a link with contents \(1 bytes\)/],
    ['two pax headers for one member', (() => {
      const one = rawTar([{ name: 'a', pax: { path: 'b' } }]);
      return Buffer.concat([one.subarray(0, 1024), one]);
    })(), /two pax headers for one member/],
    ['a NUL in a pax path', rawTar([{ name: 'a', pax: { path: 'x\0/../../y' } }]), /a pax path with a NUL byte/],
    ['a pax size that is no number', rawTar([{ name: 'a', pax: { size: '1e3' } }]), /a pax size of "1e3"/],
  ])('refuses %s', (_what, bytes, message) => {
    expect(() => filterAll(bytes)).toThrow(TarFormatError);
    expect(() => filterAll(bytes)).toThrow(message);
  });

  it('refuses a global pax header giving every member a size', () => {
    const body = paxBody({ size: '0' });
    const global = Buffer.concat([rawTar([{ name: 'g', data: body.toString() }]).subarray(0, 1024)]);
    global[156] = 'g'.charCodeAt(0);
    // Checksum again after changing the type flag.
    global.write('        ', 148);
    let sum = 0;
    for (const byte of global.subarray(0, 512)) sum += byte;
    global.write(`${sum.toString(8).padStart(6, '0')}\0`, 148);
    expect(() => filterAll(Buffer.concat([global, rawTar([{ name: 'a', data: 'a' }])]))).toThrow(/a global pax header giving every member a size/);
  });
});

describe('tar header fields', () => {
  it('reads numbers as GNU tar does', () => {
    const field = (text: string): Buffer => Buffer.from(text, 'latin1');
    expect(headerNumber(field('0000644\0'), 'mode')).toBe(0o644);
    expect(headerNumber(field('   644 \0'), 'mode')).toBe(0o644);
    expect(headerNumber(field('\x000644\0'), 'mode')).toBe(0o644);
    expect(headerNumber(field('\0\0\0\0\0\0\0\0'), 'mode')).toBe(0);
    expect(headerNumber(Buffer.from([0x80, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0]), 'size')).toBe(2 ** 33);
    expect(() => headerNumber(field('12x4\0\0\0\0'), 'size')).toThrow(/not a number/);
    expect(() => headerNumber(Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe]), 'size')).toThrow(TarFormatError);
    expect(() => headerNumber(field('        '), 'size')).toThrow(/blank/);
  });

  it('splits pax records by their lengths, and refuses malformed ones', () => {
    expect(paxRecords(Buffer.from('12 path=a b\n16 linkpath=x=y\n'))).toEqual([
      ['path', 'a b'],
      ['linkpath', 'x=y'],
    ]);
    expect(paxRecords(Buffer.from('12 path=a b\n\0\0\0'))).toEqual([['path', 'a b']]);
    expect(() => paxRecords(Buffer.from('99 path=a\n'))).toThrow(/longer than the header/);
    expect(() => paxRecords(Buffer.from('path=a\n'))).toThrow(/without its length/);
    expect(() => paxRecords(Buffer.from('9 path=ab'))).toThrow(/without its newline/);
  });
});
