import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { debPath, fetchAlternate } from '../../src/sources/alternate.js';
import { buildDeb, privateApt } from '../support/apt.js';
import { tempDir } from '../support/tmp.js';

const sha256 = (data: Buffer): string => createHash('sha256').update(data).digest('hex');

describe('verified alternates', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it('takes the file out of the package whatever compresses its data member, reading the package member by member', async () => {
    // Bigger than a read: the member is streamed out of the package in pieces.
    const release = Buffer.alloc(3 * 1024 * 1024 + 7, 'hermit ');
    for (const compression of ['xz', 'gzip', 'zstd', 'none'] as const) {
      const root = await tempDir();
      const deb = buildDeb(root, 'demo-source', '1.0-1', { 'usr/src/demo/other.txt': 'not this one\n', 'usr/src/demo/demo-1.0.tar.gz': release }, compression);
      vi.stubEnv('APT_CONFIG', privateApt(root, [deb]));
      const alternate = { deb: { package: 'demo-source', version: '1.0-1', sha256: sha256(readFileSync(deb)) }, file: 'usr/src/demo/demo-1.0.tar.gz', sha256: sha256(release) };
      const file = await fetchAlternate(path.join(root, 'cache'), alternate, () => {});
      expect(sha256(readFileSync(file)), compression).toBe(alternate.sha256);
      const missing = { ...alternate, file: 'usr/src/demo/nothing.tar.gz' };
      await expect(fetchAlternate(path.join(root, 'cache'), missing, () => {})).rejects.toThrow(/demo-source_1\.0-1\.deb does not contain usr\/src\/demo\/nothing\.tar\.gz/);
    }
  });

  it('says what is wrong with a package that is not an ar archive, or holds no data member', async () => {
    const root = await tempDir();
    const alternate = { deb: { package: 'demo-source', version: '1.0-1', sha256: '' }, file: 'usr/src/demo/demo-1.0.tar.gz', sha256: '0'.repeat(64) };
    for (const [bytes, error] of [
      [Buffer.from('not an archive at all, but long enough to hold a header or two of the ar format\n'.repeat(2)), /demo-source_1\.0-1\.deb: not an ar archive/],
      [Buffer.concat([Buffer.from('!<arch>\n'), Buffer.from('debian-binary/  0           0     0     100644  4         `\n2.0\n')]), /has no data\.tar member/],
    ] as const) {
      // Already in the cache with its pinned sha256 (apt would not serve it).
      const pinned = { ...alternate, deb: { ...alternate.deb, sha256: sha256(bytes) } };
      const cacheDir = path.join(root, `cache-${bytes.length}`);
      mkdirSync(path.dirname(debPath(cacheDir, pinned)), { recursive: true });
      writeFileSync(debPath(cacheDir, pinned), bytes);
      await expect(fetchAlternate(cacheDir, pinned, () => {})).rejects.toThrow(error);
    }
  });

  it('download the Debian package again when the cached one changed, instead of failing on it every time', async () => {
    const root = await tempDir();
    const release = Buffer.from('the release tarball\n');
    const deb = buildDeb(root, 'demo-source', '1.0-1', { 'usr/src/demo/demo-1.0.tar.gz': release });
    vi.stubEnv('APT_CONFIG', privateApt(root, [deb]));
    const alternate = { deb: { package: 'demo-source', version: '1.0-1', sha256: sha256(readFileSync(deb)) }, file: 'usr/src/demo/demo-1.0.tar.gz', sha256: sha256(release) };
    const cacheDir = path.join(root, 'cache');
    const file = await fetchAlternate(cacheDir, alternate, () => {});
    expect(readFileSync(file).equals(release)).toBe(true);

    // The release file went (its own check at unpacking removes it when it changed); the package is damaged.
    rmSync(file);
    const cached = readFileSync(debPath(cacheDir, alternate));
    cached[cached.length - 10]! ^= 1;
    writeFileSync(debPath(cacheDir, alternate), cached);
    const lines: string[] = [];
    expect(readFileSync(await fetchAlternate(cacheDir, alternate, (line) => lines.push(line))).equals(release)).toBe(true);
    expect(lines[0]).toMatch(/^\S+demo-source_1\.0-1\.deb has sha256 [0-9a-f]{64}, not the pinned [0-9a-f]{64}: it changed in the cache and was removed; downloading it again$/);
    expect(sha256(readFileSync(debPath(cacheDir, alternate)))).toBe(alternate.deb.sha256);
  });
});
