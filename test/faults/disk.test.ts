import { readFileSync, writeFileSync, appendFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli, summaryOf } from '../support/cli.js';
import { failsWithOneLine, makeBlobFixture, mountTmpfs, sha256, sizeOf, succeeds, type Mount } from '../support/faults.js';
import { tempDir } from '../support/tmp.js';

const mounts: Mount[] = [];

/** A tmpfs for this test, unmounted when it ends however it ends; a skip reason when there is none. */
function tmpfsFor(dir: string, sizeKiB: number): Mount | string {
  const mount = mountTmpfs(dir, sizeKiB);
  if (typeof mount !== 'string') mounts.push(mount);
  return mount;
}

// A hook of this file runs before the one of test/support/tmp.ts that removes the temp folder,
// which cannot remove a mount point still mounted.
afterEach(() => {
  for (const mount of mounts.splice(0)) mount.unmount();
});

describe('disk faults', () => {
  it('a work directory that fills up during unpack: one line naming the task, the download kept, a rerun with room succeeds', async (test) => {
    const root = await tempDir();
    // 1 MiB of data does not fit a 512 KiB work directory (the download goes to the cache, outside).
    const fixture = await makeBlobFixture(root, { size: 1024 * 1024 });
    const work = path.join(root, 'work');
    const mount = tmpfsFor(work, 512);
    if (typeof mount === 'string') return test.skip(mount);
    const cache = path.join(root, 'cache');
    const args = ['--toolchain', fixture.dir, '--work', work, '--cache', cache];

    const { line } = await failsWithOneLine([...args, 'build']);
    expect(line).toBe(`error: blob: unpack: ENOSPC: no space left on device, write (unpacking into ${path.join(work, 'src/blob')})`);
    // The verified download is in the cache, whole.
    expect(sha256(readFileSync(fixture.cached(cache)))).toBe(sha256(fixture.tarball));

    mount.remount('size=16m');
    const again = await succeeds([...args, 'build']);
    expect(summaryOf(again.stdout)).toMatch(/ran 3 tasks, skipped 1, failed 0/);
    expect(sizeOf(path.join(work, 'image/blob/opt/hermit/share/blob/data'))).toBe(1024 * 1024);
    // Only one download: the rerun took the cached file.
    expect(fixture.server.requests).toHaveLength(1);
  });

  it('a download cache that fills up during a fetch: one line naming the task and the file, a rerun with room fetches it', async (test) => {
    const root = await tempDir();
    const fixture = await makeBlobFixture(root);
    const cache = path.join(root, 'cache');
    const mount = tmpfsFor(cache, 128);
    if (typeof mount === 'string') return test.skip(mount);
    const args = ['--toolchain', fixture.dir, '--work', path.join(root, 'work'), '--cache', cache];

    const { line } = await failsWithOneLine([...args, 'fetch']);
    expect(line).toMatch(/^error: blob: fetch: cannot download blob-1\.0\.tar from any of 1 places \(.*ENOSPC/);
    // Nothing half-written is left to be taken for the file.
    expect(sizeOf(fixture.cached(cache))).toBeUndefined();

    mount.remount('size=16m');
    await succeeds([...args, 'fetch']);
    expect(sha256(readFileSync(fixture.cached(cache)))).toBe(sha256(fixture.tarball));
  });

  it('a work directory that fills up in a build step: the step is named with the problem, a rerun with room succeeds', async (test) => {
    const root = await tempDir();
    const fixture = await makeBlobFixture(root, {
      size: 16 * 1024,
      recipe: 'configure:\n  - [sh, -c, "head -c 2097152 /dev/zero > padding"]\n',
    });
    const work = path.join(root, 'work');
    const mount = tmpfsFor(work, 1024);
    if (typeof mount === 'string') return test.skip(mount);
    const args = ['--toolchain', fixture.dir, '--work', work, '--cache', path.join(root, 'cache')];

    const { line, stderr } = await failsWithOneLine([...args, 'build']);
    expect(line).toBe("error: blob: configure: step 1 `sh -c 'head -c 2097152 /dev/zero > padding'` exited with code 1");
    expect(stderr).toMatch(/No space left on device/);

    mount.remount('size=16m');
    const again = await succeeds([...args, 'build']);
    expect(summaryOf(again.stdout)).toMatch(/ran 3 tasks, skipped 2, failed 0/);
    expect(sizeOf(path.join(work, 'image/blob/opt/hermit/share/blob/data'))).toBe(16 * 1024);
  });

  it('a read-only work directory: one line naming it, nothing changed, a rerun once writable succeeds', async (test) => {
    const root = await tempDir();
    const fixture = await makeBlobFixture(root, { size: 16 * 1024 });
    const work = path.join(root, 'work');
    const mount = tmpfsFor(work, 16 * 1024);
    if (typeof mount === 'string') return test.skip(mount);
    const args = ['--toolchain', fixture.dir, '--work', work, '--cache', path.join(root, 'cache')];
    expect((await runCli([...args, 'build'])).exitCode).toBe(0);

    // A changed install step: the rerun has something to write. Root ignores file modes, so
    // the folder is made read-only by remounting it.
    const recipe = path.join(fixture.dir, 'recipes/blob.yaml');
    writeFileSync(recipe, readFileSync(recipe, 'utf8').replace('"644"', '"600"'));
    mount.remount('ro');
    const before = readFileSync(path.join(work, 'state/_keys'), 'utf8');
    const { line } = await failsWithOneLine([...args, 'build']);
    expect(line).toContain(work);
    expect(line).toMatch(/EROFS|read-only file system/i);
    expect(readFileSync(path.join(work, 'state/_keys'), 'utf8')).toBe(before);

    mount.remount('rw');
    const again = await succeeds([...args, 'build']);
    expect(summaryOf(again.stdout)).toMatch(/ran 1 tasks, skipped 3, failed 0/);
  });

  it('a read-only output folder for package: one line naming the package, a rerun once writable writes the .deb', async (test) => {
    const root = await tempDir();
    const fixture = await makeBlobFixture(root, { size: 16 * 1024, recipe: 'package:\n  name: blob-hermit\n' });
    const out = path.join(root, 'out');
    const mount = tmpfsFor(out, 4 * 1024);
    if (typeof mount === 'string') return test.skip(mount);
    const args = ['--toolchain', fixture.dir, '--work', path.join(root, 'work'), '--cache', path.join(root, 'cache')];
    expect((await runCli([...args, 'build', '--out', path.join(root, 'elsewhere')])).exitCode).toBe(0);

    mount.remount('ro');
    const { line } = await failsWithOneLine([...args, 'package', '--out', out]);
    expect(line).toMatch(/blob/);
    expect(line).toMatch(/EROFS|read-only file system/i);

    mount.remount('rw');
    const again = await succeeds([...args, 'package', '--out', out]);
    expect(readdirSync(out).filter((name) => name.endsWith('.deb'))).toEqual(['blob-hermit_1.0-1_all.deb']);
  });
});

/**
 * Builds blob with a first build step that runs `removal` (a shell command on {src}) until the
 * fault is removed: the next step must fail naming itself, and a rerun without the fault must
 * succeed from a whole tree again.
 */
async function sourceVanishes(removal: string, warning?: string): Promise<void> {
  const root = await tempDir();
  const marker = path.join(root, 'fault-removed');
  const fixture = await makeBlobFixture(root, { size: 16 * 1024 });
  const recipe = path.join(fixture.dir, 'recipes/blob.yaml');
  writeFileSync(recipe, readFileSync(recipe, 'utf8').replace('build:\n', `build:\n  - [sh, -c, "test -e ${marker} || ${removal}"]\n`));
  const work = path.join(root, 'work');
  const args = ['--toolchain', fixture.dir, '--work', work, '--cache', path.join(root, 'cache')];

  const { line, stderr } = await failsWithOneLine([...args, 'build']);
  expect(line).toBe(`error: blob: build: step 2 \`cp ${path.join(work, 'src/blob/data')} data\` exited with code 1`);
  if (warning) expect(stderr).toContain(warning);

  writeFileSync(marker, '');
  const again = await succeeds([...args, 'build']);
  expect(again.stdout).toContain('done    blob:unpack');
  expect(sizeOf(path.join(work, 'image/blob/opt/hermit/share/blob/data'))).toBe(16 * 1024);
}

describe('a source that vanishes mid-build', () => {
  it('a step that deletes its own source tree: the next step fails naming itself, a rerun unpacks again and succeeds', async () => {
    await sourceVanishes('rm -rf {src}');
  });

  it('a step that deletes one file of its source tree: the failure says the tree changed, a rerun unpacks again and succeeds', async () => {
    await sourceVanishes('rm {src}/data', 'warning: blob: its source tree changed during build (data is missing): the next run unpacks it again');
  });
});
