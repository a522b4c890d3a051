import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, linkSync, mkdirSync, readFileSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { compressBuffer, compressorEnv } from '../../src/package/compress.js';
import { PackageError } from '../../src/package/errors.js';
import { packTree } from '../../src/package/tree-deb.js';
import { tempDir } from '../support/tmp.js';

const EPOCH = 1672531200;

function write(file: string, data: string | Buffer, mode = 0o644): void {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, data);
  chmodSync(file, mode);
}

/** Deterministic bytes that compress a little: enough to make data.tar larger than one pipe read. */
function noise(size: number): Buffer {
  const bytes = Buffer.alloc(size);
  let state = 12345;
  for (let i = 0; i < size; i++) {
    state = (state * 1103515245 + 12345) & 0x7fffffff;
    bytes[i] = (state >> 16) % 64;
  }
  return bytes;
}

/** A tree with what trips a tar writer: sort order, hard links, symlinks, long names, old mtimes. */
async function makeTree(big: boolean): Promise<string> {
  const tree = path.join(await tempDir(), 'tree');
  write(path.join(tree, 'DEBIAN/control'), 'Package: tree-test\nVersion: 1:1.0-2\nArchitecture: all\nMaintainer: A Tester <tester@example.org>\nDescription: test tree\n long text\n');
  write(path.join(tree, 'DEBIAN/postinst'), '#!/bin/sh\nexit 0\n', 0o755);
  write(path.join(tree, 'opt/t/a/file'), 'in a\n');
  mkdirSync(path.join(tree, 'opt/t/a-b'));
  write(path.join(tree, 'opt/t/a.c'), 'int x;\n');
  write(path.join(tree, 'opt/t/bin/tool'), '#!/bin/sh\necho tool\n', 0o755);
  linkSync(path.join(tree, 'opt/t/bin/tool'), path.join(tree, 'opt/t/bin/tool-again'));
  symlinkSync('../a/file', path.join(tree, 'opt/t/bin/zz-link'));
  symlinkSync(`../${'y'.repeat(120)}`, path.join(tree, 'opt/t/a/long-target'));
  const deep = path.join(tree, 'opt/t', 'd'.repeat(80), 'e'.repeat(40));
  write(path.join(deep, 'file-with-a-long-path'), 'deep\n');
  write(path.join(tree, 'opt/t/old'), 'older than the epoch\n');
  utimesSync(path.join(tree, 'opt/t/old'), 1500000000, 1500000000);
  if (big) write(path.join(tree, 'opt/t/big.bin'), noise(1 << 20));
  for (const dir of ['opt', 'opt/t', 'opt/t/a', 'opt/t/a-b', 'opt/t/bin']) chmodSync(path.join(tree, dir), 0o755);
  chmodSync(tree, 0o755);
  return tree;
}

function dpkgDeb(tree: string, out: string, compression: string): Buffer {
  execFileSync('dpkg-deb', ['--root-owner-group', `-Z${compression}`, '-b', tree, out], { env: { ...process.env, SOURCE_DATE_EPOCH: String(EPOCH) }, stdio: 'ignore' });
  return readFileSync(out);
}

describe('packing a ready tree', () => {
  it('gives the same bytes as dpkg-deb --root-owner-group -b, uncompressed and with xz', async () => {
    const tree = await makeTree(false);
    const out = await tempDir();
    for (const [ours, theirs] of [
      ['none', 'none'],
      ['xz', 'xz'],
    ] as const) {
      const packed = await packTree(tree, path.join(out, ours), { compression: ours, epoch: EPOCH });
      expect(path.basename(packed.file)).toBe('tree-test_1.0-2_all.deb');
      const reference = dpkgDeb(tree, path.join(out, `reference-${ours}.deb`), theirs);
      expect(readFileSync(packed.file).equals(reference), `${ours} differs from dpkg-deb -Z${theirs}`).toBe(true);
    }
  });

  it('gives the same bytes as dpkg-deb with zstd, for a data member streamed in pieces', async () => {
    const tree = await makeTree(true);
    const out = await tempDir();
    const packed = await packTree(tree, out, { compression: 'zst', epoch: EPOCH });
    expect(readFileSync(packed.file).equals(dpkgDeb(tree, path.join(out, 'reference.deb'), 'zstd'))).toBe(true);
  });

  it('writes gzip members that dpkg-deb reads, with the same contents as the uncompressed package', async () => {
    const tree = await makeTree(false);
    const out = await tempDir();
    const gz = await packTree(tree, path.join(out, 'gz'), { compression: 'gz', epoch: EPOCH });
    const none = await packTree(tree, path.join(out, 'none'), { compression: 'none', epoch: EPOCH });
    expect(execFileSync('ar', ['t', gz.file]).toString()).toBe('debian-binary\ncontrol.tar.gz\ndata.tar.gz\n');
    expect(execFileSync('dpkg-deb', ['--fsys-tarfile', gz.file]).equals(execFileSync('dpkg-deb', ['--fsys-tarfile', none.file]))).toBe(true);
    expect(execFileSync('dpkg-deb', ['--field', gz.file, 'Version']).toString()).toBe('1:1.0-2\n');
  });

  it('normalises modes, clamps mtimes, and lists what dpkg-deb --contents shows', async () => {
    const tree = await makeTree(false);
    chmodSync(path.join(tree, 'opt/t/a.c'), 0o600);
    chmodSync(path.join(tree, 'opt/t/bin/tool'), 0o700);
    chmodSync(path.join(tree, 'opt/t/a'), 0o700);
    const packed = await packTree(tree, await tempDir(), { compression: 'xz', epoch: EPOCH });
    const contents = execFileSync('dpkg-deb', ['--contents', packed.file]).toString().trim().split('\n');
    const line = (name: string): string => contents.find((l) => l.endsWith(` ${name}`) || l.includes(` ${name} `)) ?? `(no ${name})`;
    expect(line('./opt/t/a.c')).toMatch(/^-rw-r--r-- root\/root +7 2023-01-01 00:00 /);
    expect(line('./opt/t/bin/tool')).toMatch(/^-rwxr-xr-x root\/root/);
    expect(line('./opt/t/a/')).toMatch(/^drwxr-xr-x root\/root/);
    expect(line('./opt/t/old')).toMatch(/ 2017-07-14 02:40 /);
    expect(line('./opt/t/bin/tool-again')).toMatch(/^hrwxr-xr-x .* link to \.\/opt\/t\/bin\/tool$/);
    // Symlinks come last, after every other entry.
    expect(contents.slice(-2).every((l) => l.startsWith('l'))).toBe(true);
    expect(contents.filter((l) => l.startsWith('l'))).toHaveLength(2);
    const info = execFileSync('dpkg-deb', ['--info', packed.file]).toString();
    expect(info).toMatch(/\d+ bytes, +2 lines +\* +postinst +#!\/bin\/sh/);
    expect(info).toContain(' Package: tree-test');
  });

  it('refuses a tree without a usable control file', async () => {
    const tree = await makeTree(false);
    writeFileSync(path.join(tree, 'DEBIAN/control'), 'Package: tree-test\nVersion: one\nArchitecture: all\n');
    await expect(packTree(tree, await tempDir(), { compression: 'none', epoch: EPOCH })).rejects.toThrow(/upstream part must start with a digit/);
    writeFileSync(path.join(tree, 'DEBIAN/control'), 'Package: tree-test\nVersion: 1\n');
    await expect(packTree(tree, await tempDir(), { compression: 'none', epoch: EPOCH })).rejects.toThrow(/Architecture field is missing/);
    await expect(packTree(path.join(tree, 'opt'), await tempDir(), { compression: 'none', epoch: EPOCH })).rejects.toThrow(PackageError);
  });
});

describe('checking a ready tree like dpkg-deb', () => {
  /** A tree with /etc/present (a file) and /etc/dir (a folder), plus the given control files. */
  async function treeWith(control: Record<string, readonly [data: string, mode: number]>): Promise<string> {
    const tree = path.join(await tempDir(), 'tree');
    write(path.join(tree, 'DEBIAN/control'), 'Package: checked\nVersion: 1\nArchitecture: all\nMaintainer: A Tester <tester@example.org>\nDescription: checked\n');
    write(path.join(tree, 'etc/present'), 'x\n');
    mkdirSync(path.join(tree, 'etc/dir'));
    for (const [name, [data, mode]] of Object.entries(control)) write(path.join(tree, 'DEBIAN', name), data, mode);
    return tree;
  }

  const SCRIPT = '#!/bin/sh\nexit 0\n';
  const cases: Array<[what: string, control: Record<string, readonly [string, number]>]> = [
    ['postinst 0644', { postinst: [SCRIPT, 0o644] }],
    ['postinst 0755', { postinst: [SCRIPT, 0o755] }],
    ['preinst 0700', { preinst: [SCRIPT, 0o700] }],
    ['prerm 0775', { prerm: [SCRIPT, 0o775] }],
    ['postrm 0777', { postrm: [SCRIPT, 0o777] }],
    ['postrm 0555', { postrm: [SCRIPT, 0o555] }],
    ['config 0644', { config: [SCRIPT, 0o644] }],
    ['triggers 0644 (not a script)', { triggers: ['interest x\n', 0o644] }],
    ['conffile in the package', { conffiles: ['/etc/present\n', 0o644] }],
    ['conffile not in the package', { conffiles: ['/etc/present\n/etc/missing\n', 0o644] }],
    ['relative conffile', { conffiles: ['etc/present\n', 0o644] }],
    ['conffile without a final newline', { conffiles: ['/etc/present', 0o644] }],
    ['empty conffile line', { conffiles: ['/etc/present\n\n', 0o644] }],
    ['conffile line with leading white space', { conffiles: [' /etc/present\n', 0o644] }],
    ['conffile with trailing white space', { conffiles: ['/etc/present \n', 0o644] }],
    ['duplicated conffile', { conffiles: ['/etc/present\n/etc/present\n', 0o644] }],
    ['conffile that is a folder', { conffiles: ['/etc/dir\n', 0o644] }],
    ['conffile through ..', { conffiles: ['/etc/dir/../present\n', 0o644] }],
    ['remove-on-upgrade of a path not in the package', { conffiles: ['remove-on-upgrade /etc/gone\n', 0o644] }],
    ['remove-on-upgrade of a path in the package', { conffiles: ['remove-on-upgrade /etc/present\n', 0o644] }],
    ['unknown conffile flag', { conffiles: ['keep /etc/present\n', 0o644] }],
    ['empty conffiles', { conffiles: ['', 0o644] }],
  ];

  it.each(cases)('refuses what dpkg-deb -b refuses, in one line: %s', async (_what, control) => {
    const tree = await treeWith(control);
    const out = await tempDir();
    const dpkg = spawnSync('dpkg-deb', ['--root-owner-group', '-b', tree, path.join(out, 'reference.deb')], { encoding: 'utf8' });
    const ours = await packTree(tree, path.join(out, 'ours'), { compression: 'none', epoch: EPOCH }).then(
      () => undefined,
      (error: unknown) => error,
    );
    if (dpkg.status === 0) {
      expect(ours, dpkg.stderr).toBeUndefined();
    } else {
      expect(ours, `dpkg-deb refused it: ${dpkg.stderr}`).toBeInstanceOf(PackageError);
      expect((ours as PackageError).message).toMatch(new RegExp(`^${tree}/DEBIAN/(conffiles(:\\d+)?|\\w+): [^\\n]+$`));
    }
  });
});

describe('compressors', () => {
  it('give the same xz and zstd bytes whatever the thread count', async () => {
    const data = noise(3 << 20);
    for (const compression of ['xz', 'zst'] as const) {
      const one = await compressBuffer(data, compression, { threads: 1 });
      const four = await compressBuffer(data, compression, { threads: 4 });
      expect(one.equals(four)).toBe(true);
    }
  });

  it('run with glibc asked for huge pages, unless the user chose otherwise', () => {
    expect(compressorEnv({ PATH: '/bin' })).toEqual({ PATH: '/bin', GLIBC_TUNABLES: 'glibc.malloc.hugetlb=1' });
    expect(compressorEnv({ GLIBC_TUNABLES: 'glibc.malloc.arena_max=2' }).GLIBC_TUNABLES).toBe('glibc.malloc.arena_max=2:glibc.malloc.hugetlb=1');
    const chosen = { GLIBC_TUNABLES: 'glibc.malloc.hugetlb=0:glibc.malloc.arena_max=2' };
    expect(compressorEnv(chosen)).toBe(chosen);
    const untouched = { GLIBC_TUNABLES: '' };
    expect(compressorEnv(untouched).GLIBC_TUNABLES).toBe('glibc.malloc.hugetlb=1');
    expect(untouched.GLIBC_TUNABLES).toBe('');
  });

  it('hand that environment to the compressor they start', async () => {
    // A stand-in xz first on PATH that answers with the tunables it was given.
    const bin = await tempDir();
    write(path.join(bin, 'xz'), '#!/bin/sh\ncat > /dev/null\nprintf %s "$GLIBC_TUNABLES"\n', 0o755);
    const saved = process.env.PATH;
    process.env.PATH = `${bin}:${saved}`;
    try {
      expect((await compressBuffer(Buffer.from('x'), 'xz')).toString()).toContain('glibc.malloc.hugetlb=1');
    } finally {
      process.env.PATH = saved;
    }
  });
});
