import { execFileSync } from 'node:child_process';
import { existsSync, linkSync, mkdirSync, readFileSync, readdirSync, readlinkSync, statSync, symlinkSync, truncateSync, writeFileSync, lstatSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { UnpackError, UnsafeArchive, unpackArchive } from '../../src/sources/unpack.js';
import { rawTar, type RawEntry } from '../support/tarball.js';
import { tempDir } from '../support/tmp.js';

/** The target the work directory would give: the folder and a temp beside it. */
const besideOf = (dest: string): { dest: string; temp: string } => ({ dest, temp: `${dest}.unpacking` });

async function unpackRaw(entries: RawEntry[], name = 'x.tar.gz'): Promise<{ dir: string; dest: string; result: unknown; logged: string[] }> {
  const dir = await tempDir();
  const archive = path.join(dir, name);
  writeFileSync(archive, gzipSync(rawTar(entries)));
  const dest = path.join(dir, 'work/src/x');
  const logged: string[] = [];
  const result = await unpackArchive(archive, besideOf(dest), (line) => logged.push(line)).then(
    () => undefined,
    (e: unknown) => e,
  );
  return { dir, dest, result, logged };
}

/** Unpacks `entries` and expects a refusal saying `message`, with no tree left, whole or half made. */
async function expectRefused(entries: RawEntry[], message: RegExp): Promise<{ dir: string }> {
  const { dir, dest, result } = await unpackRaw(entries);
  expect(result).toBeInstanceOf(UnsafeArchive);
  expect((result as Error).message).toMatch(message);
  expect(existsSync(dest)).toBe(false);
  expect(existsSync(`${dest}.unpacking`)).toBe(false);
  return { dir };
}

describe('safe unpacking', () => {
  it('unpacks every supported format and drops the single top folder', async () => {
    const dir = await tempDir();
    mkdirSync(path.join(dir, 'pkg-1.0/sub'), { recursive: true });
    writeFileSync(path.join(dir, 'pkg-1.0/sub/file.c'), 'int x;\n');
    writeFileSync(path.join(dir, 'pkg-1.0/run.sh'), '#!/bin/sh\n', { mode: 0o755 });
    const formats: Array<[string, string[]]> = [
      ['a.tar', ['-cf']],
      ['a.tar.gz', ['-czf']],
      ['a.tar.xz', ['-cJf']],
      ['a.tar.bz2', ['-cjf']],
      ['a.tar.zst', ['--zstd', '-cf']],
    ];
    for (const [name, flags] of formats) execFileSync('tar', [...flags, name, 'pkg-1.0'], { cwd: dir });
    execFileSync('zip', ['-qr', 'a.zip', 'pkg-1.0'], { cwd: dir });
    for (const name of [...formats.map(([n]) => n), 'a.zip']) {
      const dest = path.join(dir, `out-${name}`);
      await unpackArchive(path.join(dir, name), besideOf(dest));
      expect(readFileSync(path.join(dest, 'sub/file.c'), 'utf8'), name).toBe('int x;\n');
      expect(statSync(path.join(dest, 'run.sh')).mode & 0o111, name).not.toBe(0);
    }
  });

  it('keeps an archive without one top folder as it is', async () => {
    const { dest, result } = await unpackRaw([{ name: 'a.txt', data: 'a' }, { name: 'b/c.txt', data: 'c' }]);
    expect(result).toBeUndefined();
    expect(readdirSync(dest).sort()).toEqual(['a.txt', 'b']);
  });

  it.each<[string, RawEntry[], RegExp]>([
    ['a parent-folder path', [{ name: 'top/ok.txt', data: 'ok' }, { name: 'top/../../evil.txt', data: 'x' }], /top\/\.\.\/\.\.\/evil\.txt: path leaves the source folder/],
    ['an absolute path', [{ name: '/tmp/evil-absolute.txt', data: 'x' }], /\/tmp\/evil-absolute\.txt: absolute path/],
    [
      'a file written through a symlink',
      [
        { name: 'top/link', type: 'symlink', link: '.' },
        { name: 'top/link/file.txt', data: 'through' },
      ],
      /top\/link\/file\.txt: would be written through the symlink top\/link/,
    ],
    ['a symlink out of the folder', [{ name: 'top/out', type: 'symlink', link: '../../../etc' }], /top\/out: links to \.\.\/\.\.\/\.\.\/etc, outside/],
    ['a hard link out of the folder', [{ name: 'top/hard', type: 'hardlink', link: '/etc/passwd' }], /top\/hard: /],
  ])('refuses %s and leaves nothing behind', async (_what, entries, message) => {
    const { dir } = await expectRefused(entries, message);
    expect(existsSync(path.join(dir, 'evil.txt'))).toBe(false);
    expect(existsSync('/tmp/evil-absolute.txt')).toBe(false);
  });

  it('ignores a file listed again as a hard link to itself', async () => {
    const { dest, result } = await unpackRaw([
      { name: 'top/a.txt', data: 'kept' },
      { name: 'top/a.txt', type: 'hardlink', link: 'top/a.txt' },
      { name: 'top/b.txt', type: 'hardlink', link: 'top/a.txt' },
    ]);
    expect(result).toBeUndefined();
    expect(readFileSync(path.join(dest, 'a.txt'), 'utf8')).toBe('kept');
    expect(readFileSync(path.join(dest, 'b.txt'), 'utf8')).toBe('kept');
  });

  it('drops device nodes and setuid bits and never keeps ownership', async () => {
    const { dest, result } = await unpackRaw([
      { name: 'top/dev', type: 'chardev' },
      { name: 'top/fifo', type: 'fifo' },
      { name: 'top/suid', data: '#!/bin/sh\n', mode: 0o4755 },
    ]);
    expect(result).toBeUndefined();
    expect(readdirSync(dest)).toEqual(['suid']);
    const stats = lstatSync(path.join(dest, 'suid'));
    expect(stats.mode & 0o7000).toBe(0);
    expect(stats.uid).toBe(process.getuid!());
  });

  it('refuses hostile zip entries too', async () => {
    const dir = await tempDir();
    // zip stores the name as given with -r on a path outside when fed through stdin names.
    mkdirSync(path.join(dir, 'a/b'), { recursive: true });
    writeFileSync(path.join(dir, 'a/evil.txt'), 'x');
    execFileSync('zip', ['-q', path.join(dir, 'evil.zip'), '../evil.txt'], { cwd: path.join(dir, 'a/b') });
    const listed = execFileSync('unzip', ['-Z1', path.join(dir, 'evil.zip')]).toString();
    const dest = path.join(dir, 'out');
    if (listed.includes('../')) {
      await expect(unpackArchive(path.join(dir, 'evil.zip'), besideOf(dest))).rejects.toThrow(/path leaves the source folder/);
      expect(existsSync(dest)).toBe(false);
    } else {
      // This zip strips "../" itself; then the archive is harmless and must unpack inside.
      await unpackArchive(path.join(dir, 'evil.zip'), besideOf(dest));
      expect(readdirSync(dest)).toEqual(['evil.txt']);
    }
  });

  it('names what it cannot unpack', async () => {
    await expect(unpackArchive('/x/y.rar', besideOf('/tmp/never'))).rejects.toThrow(/do not know how to unpack y\.rar/);
  });

  it('names the archive it could not read, and leaves nothing behind', async () => {
    const dir = await tempDir();
    const archive = path.join(dir, 'broken.tar.gz');
    writeFileSync(archive, gzipSync(rawTar([{ name: 'x/a', data: 'a' }])).subarray(0, 20));
    const dest = path.join(dir, 'work/src/x');
    const error = await unpackArchive(archive, besideOf(dest)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnpackError);
    expect((error as UnpackError).message).toMatch(/^cannot unpack broken\.tar\.gz: \S/);
    expect((error as UnpackError).cause).toBeInstanceOf(Error);
    expect(readdirSync(path.dirname(dest))).toEqual([]);
  });

  it.each<[string, RawEntry[], RegExp]>([
    ['a pax path that leaves the folder behind a harmless header name', [{ name: 'top/harmless', pax: { path: 'top/../../evil.txt' }, data: 'x' }], /top\/\.\.\/\.\.\/evil\.txt: path leaves the source folder/],
    ['a GNU long name that leaves the folder', [{ name: 'top/harmless', longName: '../evil.txt', data: 'x' }], /\.\.\/evil\.txt: path leaves the source folder/],
    ['a pax link target out of the folder', [{ name: 'top/l', type: 'symlink', link: 'fine', pax: { linkpath: '../../../etc' } }], /top\/l: links to \.\.\/\.\.\/\.\.\/etc, outside/],
    [
      'a hard link through a chain of symlinks',
      [
        { name: 'top/a/b', type: 'symlink', link: '..' },
        { name: 'top/a/c', type: 'symlink', link: 'b/../..' },
        { name: 'top/h', type: 'hardlink', link: 'top/a/c/evil.txt' },
      ],
      /top\/h: links to top\/a\/c\/evil\.txt, through the symlink top\/a\/c/,
    ],
  ])('refuses %s and leaves nothing behind', async (_what, entries, message) => {
    const { dir } = await expectRefused(entries, message);
    expect(readdirSync(path.join(dir, 'work/src'))).toEqual([]);
  });

  it('unpacks GNU and pax long names, long link targets and hard links as GNU tar made them', async () => {
    const dir = await tempDir();
    const deep = path.join('pkg-1.0', 'd'.repeat(90), 'e'.repeat(90));
    mkdirSync(path.join(dir, deep), { recursive: true });
    writeFileSync(path.join(dir, deep, 'f'.repeat(40)), 'long\n');
    writeFileSync(path.join(dir, 'pkg-1.0/a.txt'), 'shared');
    linkSync(path.join(dir, 'pkg-1.0/a.txt'), path.join(dir, 'pkg-1.0/b.txt'));
    symlinkSync(path.join(deep.slice('pkg-1.0/'.length), 'f'.repeat(40)), path.join(dir, 'pkg-1.0/sym'));
    for (const format of ['gnu', 'pax']) {
      execFileSync('tar', [`--format=${format}`, '-cJf', `${format}.tar.xz`, 'pkg-1.0'], { cwd: dir });
      const dest = path.join(dir, `out-${format}`);
      await unpackArchive(path.join(dir, `${format}.tar.xz`), besideOf(dest));
      expect(readFileSync(path.join(dest, deep.slice('pkg-1.0/'.length), 'f'.repeat(40)), 'utf8'), format).toBe('long\n');
      expect(readFileSync(path.join(dest, 'sym'), 'utf8'), format).toBe('long\n');
      expect(readlinkSync(path.join(dest, 'sym')), format).toHaveLength(90 + 1 + 90 + 1 + 40);
      expect(statSync(path.join(dest, 'b.txt')).ino, format).toBe(statSync(path.join(dest, 'a.txt')).ino);
    }
  });

  it('drops a sparse file and says so, and unpacks the rest', async () => {
    const dir = await tempDir();
    mkdirSync(path.join(dir, 'top'));
    writeFileSync(path.join(dir, 'top/sparse'), '');
    truncateSync(path.join(dir, 'top/sparse'), 1 << 20);
    writeFileSync(path.join(dir, 'top/kept'), 'kept');
    for (const format of ['gnu', 'pax']) {
      execFileSync('tar', [`--format=${format}`, '-S', '-czf', `${format}.tar.gz`, 'top'], { cwd: dir });
      const dest = path.join(dir, `out-${format}`);
      const logged: string[] = [];
      await unpackArchive(path.join(dir, `${format}.tar.gz`), besideOf(dest), (line) => logged.push(line));
      expect(readdirSync(dest), format).toEqual(['kept']);
      expect(logged, format).toEqual(['dropped top/sparse: a sparse file']);
    }
  });

  it('says what GNU tar could not do, naming the archive', async () => {
    const { dest, result } = await unpackRaw([{ name: 'top/h', type: 'hardlink', link: 'top/missing' }]);
    expect(result).toBeInstanceOf(UnpackError);
    expect((result as Error).message).toMatch(/^cannot unpack x\.tar\.gz: tar: top\/h: Cannot hard link to .top\/missing.: No such file or directory$/);
    expect(existsSync(dest)).toBe(false);
  });

  it('is not swayed by TAR_OPTIONS', async () => {
    process.env.TAR_OPTIONS = '--no-such-option --overwrite';
    try {
      const { dest, result } = await unpackRaw([{ name: 'top/a', data: 'a' }]);
      expect(result).toBeUndefined();
      expect(readFileSync(path.join(dest, 'a'), 'utf8')).toBe('a');
    } finally {
      delete process.env.TAR_OPTIONS;
    }
  });
});

describe('a cancelled unpack', () => {
  it('ends tar and its decompressor and leaves no half-unpacked folder', async () => {
    const root = await tempDir();
    mkdirSync(path.join(root, 'big-1.0'));
    // 256 MiB of zeros: a tiny archive that takes a while to unpack.
    execFileSync('sh', ['-c', 'head -c 268435456 /dev/zero > big-1.0/zeros && tar -cf - big-1.0 | xz -0 -T1 > big.tar.xz && rm -r big-1.0'], { cwd: root });
    const target = { dest: path.join(root, 'src'), temp: path.join(root, 'unpacking-big') };
    const controller = new AbortController();
    const unpacking = unpackArchive(path.join(root, 'big.tar.xz'), target, undefined, controller.signal);
    // Cancelled once tar has started writing the file.
    for (let i = 0; i < 200 && !existsSync(path.join(target.temp, 'big-1.0/zeros')); i++) await new Promise((resolve) => setTimeout(resolve, 10));
    controller.abort(new Error('cancelled by the test'));
    await expect(unpacking).rejects.toThrow();
    const left = execFileSync('ps', ['-eo', 'pid=,args='], { encoding: 'utf8' })
      .split('\n')
      .filter((line) => line.includes(target.temp) && !/^\s*\d+ ps /.test(line));
    expect(left).toEqual([]);
    expect(existsSync(target.temp)).toBe(false);
    expect(existsSync(target.dest)).toBe(false);
  }, 60_000);
});
