import { execFileSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, readdirSync, rmSync, utimesSync, writeFileSync, writeSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { field, parseStanzas } from '../../src/package/control.js';
import { RepoError, indexIsCurrent, releaseDate, writeRepository } from '../../src/package/repo.js';
import { packTree } from '../../src/package/tree-deb.js';
import { aptSandbox } from '../support/apt-sandbox.js';
import { tempDir } from '../support/tmp.js';

const EPOCH = 1672531200;

async function packageIn(out: string, name: string, version: string, architecture = 'all'): Promise<string> {
  const tree = path.join(await tempDir(), 'tree');
  mkdirSync(path.join(tree, 'DEBIAN'), { recursive: true });
  mkdirSync(path.join(tree, 'opt/hermit'), { recursive: true });
  writeFileSync(path.join(tree, 'opt/hermit', `${name}.txt`), `${name} ${version}\n`);
  writeFileSync(path.join(tree, 'DEBIAN/control'), `Package: ${name}\nVersion: ${version}\nArchitecture: ${architecture}\nMaintainer: A Tester <tester@example.org>\nDescription: test package ${name}\n`);
  return (await packTree(tree, out, { compression: 'xz', epoch: EPOCH })).file;
}

/** A throwaway signing key in its own GNUPGHOME. */
async function throwawayKey(): Promise<{ env: NodeJS.ProcessEnv; fingerprint: string; keyring: string }> {
  const home = await tempDir('ht-gpg-');
  const env = { ...process.env, GNUPGHOME: home };
  await execa('gpg', ['--batch', '--passphrase', '', '--quick-generate-key', 'Repo Test <repo@example.org>', 'ed25519', 'sign', 'never'], { env });
  const listing = (await execa('gpg', ['--batch', '--with-colons', '--list-secret-keys'], { env })).stdout;
  const fingerprint = /^fpr:+([0-9A-F]{40}):/m.exec(listing)![1]!;
  const keyring = path.join(home, 'repo.gpg');
  await execa('gpg', ['--batch', '--output', keyring, '--export', fingerprint], { env });
  return { env, fingerprint, keyring };
}

describe('apt repository index', () => {
  it('lists every package sorted by name and version, with checksums apt can check', async () => {
    const out = await tempDir();
    await packageIn(out, 'zeta-hermit', '1.0-1');
    await packageIn(out, 'alpha-hermit', '1.10-1');
    await packageIn(out, 'alpha-hermit', '1.9-1');
    await packageIn(out, 'alpha-hermit', '1.10~rc1-1');
    const packages = await writeRepository(out, { epoch: EPOCH });
    expect(packages).toHaveLength(4);
    const text = readFileSync(path.join(out, 'Packages'), 'utf8');
    const stanzas = parseStanzas(text, 'Packages');
    expect(stanzas.map((s) => `${field(s, 'Package')} ${field(s, 'Version')}`)).toEqual([
      'alpha-hermit 1.9-1',
      'alpha-hermit 1.10~rc1-1',
      'alpha-hermit 1.10-1',
      'zeta-hermit 1.0-1',
    ]);
    for (const stanza of stanzas) {
      const file = path.join(out, field(stanza, 'Filename')!);
      expect(execFileSync('sha256sum', [file]).toString().split(' ')[0]).toBe(field(stanza, 'SHA256'));
      expect(execFileSync('md5sum', [file]).toString().split(' ')[0]).toBe(field(stanza, 'MD5sum'));
      expect(Number(field(stanza, 'Size'))).toBe(readFileSync(file).length);
    }
    expect(gunzipSync(readFileSync(path.join(out, 'Packages.gz'))).toString()).toBe(text);
    const release = readFileSync(path.join(out, 'Release'), 'utf8');
    expect(release).toContain(`Date: ${releaseDate(EPOCH)}\n`);
    expect(releaseDate(EPOCH)).toBe('Sun, 01 Jan 2023 00:00:00 UTC');
    const sha = execFileSync('sha256sum', ['Packages', 'Packages.gz'], { cwd: out }).toString().trim().split('\n').map((l) => l.split(/\s+/)[0]);
    expect(release).toMatch(new RegExp(`SHA256:\\n ${sha[0]} +${text.length} Packages\\n ${sha[1]} +\\d+ Packages.gz\\n$`));
    expect(release).toMatch(/^MD5Sum:\n [0-9a-f]{32} +\d+ Packages\n [0-9a-f]{32} +\d+ Packages.gz\n/m);
  });

  it('knows when its index already lists the folder\'s .debs as they are', async () => {
    const out = await tempDir();
    expect(await indexIsCurrent(out, false)).toBe(false);
    const deb = await packageIn(out, 'one-hermit', '1.0-1');
    await writeRepository(out, { epoch: EPOCH });
    expect(await indexIsCurrent(out, false)).toBe(true);
    expect(await indexIsCurrent(out, true)).toBe(false);
    // Written again after the index (same name and size): the index may be stale.
    const later = new Date(Date.now() + 5000);
    utimesSync(deb, later, later);
    expect(await indexIsCurrent(out, false)).toBe(false);
    await writeRepository(out, { epoch: EPOCH });
    expect(await indexIsCurrent(out, false)).toBe(false);
    utimesSync(path.join(out, 'Packages'), new Date(Date.now() + 10000), new Date(Date.now() + 10000));
    expect(await indexIsCurrent(out, false)).toBe(true);
    await packageIn(out, 'two-hermit', '1.0-1');
    expect(await indexIsCurrent(out, false)).toBe(false);
  });

  it('refuses two files holding the same package', async () => {
    const out = await tempDir();
    const file = await packageIn(out, 'twice-hermit', '1-1');
    writeFileSync(path.join(out, 'copy.deb'), readFileSync(file));
    await expect(writeRepository(out, { epoch: EPOCH })).rejects.toThrow(RepoError);
  });

  it('signs the index with gpg so that apt trusts it through signed-by, and apt rejects a changed one', async () => {
    const out = await tempDir();
    await packageIn(out, 'signed-hermit', '2.40-1');
    const key = await throwawayKey();
    await writeRepository(out, { epoch: EPOCH, sign: { keyId: key.fingerprint, env: key.env } });
    expect(readFileSync(path.join(out, 'InRelease'), 'utf8')).toMatch(/^-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256\n\nOrigin: hermit-toolchain\n/);
    const verify = await execa('gpgv', ['--keyring', key.keyring, path.join(out, 'Release.gpg'), path.join(out, 'Release')], { reject: false, all: true });
    expect(verify.exitCode, verify.all).toBe(0);

    const apt = await aptSandbox(path.join(await tempDir(), 'apt'), `deb [signed-by=${key.keyring}] file:${out} ./`);
    const update = await apt.run('apt-get', ['update']);
    expect(update.exitCode, update.output).toBe(0);
    expect(update.output).not.toMatch(/NO_PUBKEY|not signed|^W:|^E:/m);
    expect((await apt.run('apt-cache', ['policy', 'signed-hermit'])).output).toMatch(/Candidate: 2\.40-1/);

    // A Release changed after signing no longer matches InRelease/Release.gpg.
    const tampered = await tempDir();
    for (const name of ['InRelease', 'Release', 'Release.gpg', 'Packages', 'Packages.gz']) writeFileSync(path.join(tampered, name), readFileSync(path.join(out, name)));
    writeFileSync(path.join(tampered, 'InRelease'), readFileSync(path.join(out, 'InRelease'), 'utf8').replace('Label: hermit-toolchain', 'Label: someone-else'));
    const bad = await aptSandbox(path.join(await tempDir(), 'apt'), `deb [signed-by=${key.keyring}] file:${tampered} ./`);
    const refused = await bad.run('apt-get', ['update']);
    expect(refused.output).toMatch(/BADSIG|not signed|signature/i);
    expect((await bad.run('apt-cache', ['policy', 'signed-hermit'])).output).not.toMatch(/Candidate: 2\.40-1/);

    // Rewriting the index without signing drops the signatures that no longer match it.
    await writeRepository(out, { epoch: EPOCH });
    expect(existsSync(path.join(out, 'InRelease'))).toBe(false);
    expect(existsSync(path.join(out, 'Release.gpg'))).toBe(false);
  }, 60_000);

  it('says why signing failed', async () => {
    const out = await tempDir();
    await packageIn(out, 'unsigned-hermit', '1-1');
    const home = await tempDir('ht-gpg-');
    await expect(writeRepository(out, { epoch: EPOCH, sign: { keyId: 'nobody@example.org', env: { ...process.env, GNUPGHOME: home } } })).rejects.toThrow(/signing the Release file with nobody@example.org failed/);
  });
});

/** Writes zeros to `file` until the file system is full. */
function fill(file: string): void {
  const fd = openSync(file, 'w');
  const chunk = Buffer.alloc(64 * 1024);
  try {
    for (;;) writeSync(fd, chunk);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
  } finally {
    closeSync(fd);
  }
}

describe('apt repository index on a full disk', () => {
  let disk: string | undefined;
  let unavailable = '';
  beforeAll(async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'ht-tmpfs-'));
    const mounted = await execa('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', dir], { reject: false });
    if (mounted.exitCode === 0) disk = dir;
    else {
      unavailable = `cannot mount a small tmpfs to fill (needs root): ${mounted.stderr.trim() || mounted.shortMessage}`;
      rmSync(dir, { recursive: true, force: true });
    }
  });
  afterAll(async () => {
    if (disk === undefined) return;
    await execa('umount', [disk], { reject: false });
    rmSync(disk, { recursive: true, force: true });
  });

  it('leaves the old index whole when there is no room for the new one, and names the folder', async ({ skip }) => {
    if (disk === undefined) return skip(unavailable);
    // The old index is that of an empty folder: its Packages takes no space at all, so the new
    // Packages fits in the one page left free and then nothing else does.
    const out = path.join(disk, 'out');
    await writeRepository(out, { epoch: EPOCH });
    const index = (): Record<string, string> => Object.fromEntries(['Packages', 'Packages.gz', 'Release'].map((name) => [name, readFileSync(path.join(out, name)).toString('hex')]));
    const before = index();
    await packageIn(out, 'first-hermit', '1-1');
    const page = path.join(disk, 'page');
    writeFileSync(page, Buffer.alloc(4096));
    fill(path.join(disk, 'filler'));
    rmSync(page);
    const error = await writeRepository(out, { epoch: EPOCH }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RepoError);
    expect((error as RepoError).message).toBe(`${out}: cannot write the apt index (ENOSPC: no space left on device, write); the index there is as it was`);
    expect(index()).toEqual(before);
    expect(readdirSync(out).sort()).toEqual(['Packages', 'Packages.gz', 'Release', 'first-hermit_1-1_all.deb']);

    rmSync(path.join(disk, 'filler'));
    expect((await writeRepository(out, { epoch: EPOCH })).map((p) => p.file)).toEqual(['first-hermit_1-1_all.deb']);
  });
});
