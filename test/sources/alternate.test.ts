import { createHash } from 'node:crypto';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
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
