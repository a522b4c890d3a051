import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { linkOrCopy, placeFiles, replaceFolder, writeGitTarball } from '../../src/legal/files.js';
import { LegalInfoError, type PlannedFile } from '../../src/legal/plan.js';
import { sha256Hex } from '../../src/hash.js';
import { fetchGit } from '../../src/sources/git.js';
import { commitFiles, git } from '../support/git.js';
import { tempDir } from '../support/tmp.js';

const row = { recipe: 'blob', package: 'blob-hermit', version: '1.0', license: 'MIT', origin: 'o' } as const;

describe('legal-info files', () => {
  it('hard-links a file of the cache and checks it still has its sha256', async () => {
    const root = await tempDir();
    const cached = path.join(root, 'cache/downloads/x/blob-1.0.tar');
    mkdirSync(path.dirname(cached), { recursive: true });
    writeFileSync(cached, 'blob');
    const out = path.join(root, 'out');
    const file: PlannedFile = { ...row, kind: 'source', path: 'sources/blob-1.0/blob-1.0.tar', from: { cached, sha256: sha256Hex('blob') } };
    const [placed] = await placeFiles([file], out, path.join(root, 'cache'));
    expect(placed).toEqual({ ...row, kind: 'source', path: 'sources/blob-1.0/blob-1.0.tar', sha256: sha256Hex('blob') });
    expect(statSync(path.join(out, 'sources/blob-1.0/blob-1.0.tar')).ino).toBe(statSync(cached).ino);

    const changed = { ...file, from: { cached, sha256: sha256Hex('other') } };
    await expect(placeFiles([changed], path.join(root, 'again'), path.join(root, 'cache'))).rejects.toThrow(/^blob: .*blob-1\.0\.tar has sha256 [0-9a-f]{64}, not the pinned [0-9a-f]{64}: it changed in the cache and was removed; run `hermit-toolchain fetch blob`/);
    expect(existsSync(cached)).toBe(false);
  });

  it('copies across file systems, where no hard link can be made, and passes on other failures', async () => {
    const root = await tempDir();
    writeFileSync(path.join(root, 'a'), 'a');
    await linkOrCopy(path.join(root, 'a'), path.join(root, 'b'));
    await expect(linkOrCopy(path.join(root, 'a'), path.join(root, 'b'))).rejects.toThrow(/EEXIST/);
    // /dev/shm is a tmpfs of its own on most machines: a link there fails with EXDEV.
    if (!existsSync('/dev/shm') || statSync('/dev/shm').dev === statSync(root).dev) return;
    const other = mkdtempSync('/dev/shm/ht-legal-');
    try {
      await linkOrCopy(path.join(root, 'a'), path.join(other, 'a'));
      expect(readFileSync(path.join(other, 'a'), 'utf8')).toBe('a');
      expect(statSync(path.join(other, 'a')).ino).not.toBe(statSync(path.join(root, 'a')).ino);
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  });

  it('makes the same tarball of a pinned tree and its submodule every time, under one top folder', async () => {
    const root = await tempDir();
    commitFiles(path.join(root, 'lwip'), { 'src/tcp.c': 'tcp\n' });
    const kernel = path.join(root, 'kernel');
    commitFiles(kernel, { 'kernel.c': 'int main;\n', 'tools/run.sh': '#!/bin/sh\n' });
    chmodSync(path.join(kernel, 'tools/run.sh'), 0o755);
    git(kernel, 'add', 'tools/run.sh');
    git(kernel, 'submodule', 'add', '-q', '../lwip', 'lwip');
    git(kernel, 'commit', '-q', '-m', 'add lwip');
    const pin = { url: kernel, commit: git(kernel, 'rev-parse', 'HEAD'), submodules: true };
    const cache = path.join(root, 'cache');
    await fetchGit(cache, pin, { offline: false, premirrors: [], log: () => {} });

    mkdirSync(path.join(root, 'one'));
    mkdirSync(path.join(root, 'two'));
    const first = await writeGitTarball(cache, pin, `kernel-${pin.commit}`, path.join(root, 'one/k.tar.gz'));
    const second = await writeGitTarball(cache, pin, `kernel-${pin.commit}`, path.join(root, 'two/k.tar.gz'));
    expect(second).toBe(first);
    expect(sha256Hex(readFileSync(path.join(root, 'one/k.tar.gz')))).toBe(first);
    // Nothing of the export is left beside the tarball.
    expect(readdirSync(path.join(root, 'one'))).toEqual(['k.tar.gz']);
    const listing = execFileSync('tar', ['-tvzf', path.join(root, 'one/k.tar.gz')], { encoding: 'utf8' });
    const top = `./kernel-${pin.commit}`;
    expect(listing).toContain(`${top}/lwip/src/tcp.c`);
    expect(listing).toMatch(new RegExp(`-rwxr-xr-x root/root .* 2023-01-01 00:00 ${top}/tools/run.sh`));
    expect(listing).toMatch(new RegExp(`-rw-r--r-- root/root .* 2023-01-01 00:00 ${top}/kernel.c`));
    expect(listing).not.toMatch(/\.git\//);
  });

  it('replaces an earlier legal-info folder, and refuses to replace any other', async () => {
    const root = await tempDir();
    const out = path.join(root, 'legal');
    await replaceFolder(out, async (dir) => {
      writeFileSync(path.join(dir, 'manifest.csv'), 'old');
      writeFileSync(path.join(dir, 'SHA256SUMS'), 'old');
    });
    expect(statSync(out).mode & 0o777).toBe(0o755);
    await replaceFolder(out, async (dir) => {
      writeFileSync(path.join(dir, 'manifest.csv'), 'new');
      writeFileSync(path.join(dir, 'SHA256SUMS'), 'new');
    });
    expect(readFileSync(path.join(out, 'manifest.csv'), 'utf8')).toBe('new');
    // A failure while filling leaves the previous folder whole, and no staging folder behind.
    await expect(replaceFolder(out, () => Promise.reject(new Error('disk full')))).rejects.toThrow('disk full');
    expect(readFileSync(path.join(out, 'manifest.csv'), 'utf8')).toBe('new');
    expect(readdirSync(root)).toEqual(['legal']);

    const home = path.join(root, 'home');
    mkdirSync(home);
    writeFileSync(path.join(home, 'thesis.tex'), 'precious');
    await expect(replaceFolder(home, async () => undefined)).rejects.toThrow(LegalInfoError);
    expect(readdirSync(home)).toEqual(['thesis.tex']);
  });
});
