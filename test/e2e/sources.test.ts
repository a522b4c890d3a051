import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildDeb, privateApt } from '../support/apt.js';
import { runCli, startCli, summaryOf } from '../support/cli.js';
import { makeFixture } from '../support/fixture.js';
import { tempDir } from '../support/tmp.js';

const sha256 = (data: Buffer): string => createHash('sha256').update(data).digest('hex');

/** A release tarball `demo-1.0.tar.gz` whose build prints its greeting. */
function demoRelease(root: string): Buffer {
  const tree = path.join(root, 'upstream/demo-1.0');
  mkdirSync(tree, { recursive: true });
  writeFileSync(path.join(tree, 'greeting'), 'hello from the release\n');
  execFileSync('tar', ['--sort=name', '--mtime=2023-01-01 00:00Z', '--owner=0', '--group=0', '-czf', 'demo-1.0.tar.gz', 'demo-1.0'], { cwd: path.join(root, 'upstream') });
  return readFileSync(path.join(root, 'upstream/demo-1.0.tar.gz'));
}

describe('sources through the CLI', () => {
  it('takes an alternate out of a Debian package when upstream is unreachable, verifying both checksums', async () => {
    const root = await tempDir();
    const release = demoRelease(root);
    const deb = buildDeb(root, 'demo-source', '1.0-1', { 'usr/src/demo/demo-1.0.tar.gz': release });
    const aptConfig = privateApt(root, [deb]);
    const toolchain = path.join(root, 'toolchain');
    mkdirSync(path.join(toolchain, 'recipes'), { recursive: true });
    mkdirSync(path.join(toolchain, 'patches/demo-debian'), { recursive: true });
    // The alternate's own patch runs first, then the recipe's (which relies on it).
    writeFileSync(
      path.join(toolchain, 'patches/demo-debian/0001-note.patch'),
      'Add a note only the Debian repack needs.\n--- /dev/null\n+++ b/debian-note\n@@ -0,0 +1 @@\n+from the alternate\n',
    );
    const recipe = (innerSha: string) => `name: demo
version: "1.0"
summary: demo
license: MIT
source:
  url: http://127.0.0.1:9/demo-1.0.tar.gz
  sha256: "${'0'.repeat(64)}"
  alternates:
    - deb: { package: demo-source, version: "1.0-1", sha256: ${sha256(readFileSync(deb))} }
      file: usr/src/demo/demo-1.0.tar.gz
      sha256: "${innerSha}"
      patches: patches/demo-debian
build:
  - [sh, -c, "cat {src}/greeting {src}/debian-note > out"]
install:
  - [install, -D, -m, "644", out, "{image}{prefix}/share/demo"]
`;
    const args = ['--toolchain', toolchain, '--work', path.join(root, 'work'), '--cache', path.join(root, 'cache')];
    const env = { APT_CONFIG: aptConfig };

    writeFileSync(path.join(toolchain, 'recipes/demo.yaml'), recipe('1'.repeat(64)));
    const wrong = await runCli([...args, 'build'], env);
    expect(wrong.exitCode).toBe(1);
    expect(wrong.stderr).toMatch(/checksum mismatch for usr\/src\/demo\/demo-1\.0\.tar\.gz in demo-source_1\.0-1\.deb: expected sha256 1{64}, got [0-9a-f]{64}/);

    writeFileSync(path.join(toolchain, 'recipes/demo.yaml'), recipe(sha256(release)));
    const built = await runCli([...args, 'build'], env);
    expect(built.stderr).toBe('');
    expect(built.exitCode).toBe(0);
    expect(readFileSync(path.join(root, 'work/image/demo/opt/hermit/share/demo'), 'utf8')).toBe('hello from the release\nfrom the alternate\n');
    const fetchLog = readFileSync(path.join(root, 'work/logs/demo/fetch.log'), 'utf8');
    expect(fetchLog).toMatch(/upstream failed .*trying the verified alternates/);
    expect(fetchLog).toContain('using alternate: usr/src/demo/demo-1.0.tar.gz from Debian package demo-source=1.0-1');
    expect(readFileSync(path.join(root, 'work/logs/demo/unpack.log'), 'utf8')).toContain('unpacking usr/src/demo/demo-1.0.tar.gz from Debian package');

    // Everything is in the cache now: an offline build in a fresh work dir needs no network.
    const offline = await runCli([...args.slice(0, 2), '--work', path.join(root, 'work2'), '--cache', path.join(root, 'cache'), 'build', '--offline'], {});
    expect(offline.exitCode).toBe(0);
  });

  it('fetch downloads everything once; build --offline then works; --offline names every missing file', async () => {
    const root = await tempDir();
    const fixture = await makeFixture(root);
    const args = ['--toolchain', fixture.dir, '--cache', path.join(root, 'cache')];
    const missing = await runCli([...args, '--work', path.join(root, 'w0'), 'fetch', '--offline']);
    expect(missing.exitCode).toBe(1);
    expect(missing.stderr).toMatch(/--offline: 3 sources are not in the cache/);
    expect(missing.stderr).toMatch(/\| greet-app: app-1\.0\.tar\.gz \(sha256 [0-9a-f]{64}\)/);
    expect(missing.stderr).toMatch(/\| greet-tool: greet-1\.0\.tar\.gz/);
    expect(fixture.server.requests).toHaveLength(0);

    // Two fetches at the same moment, from two processes, download each file once.
    const [a, b] = await Promise.all([
      startCli([...args, '--work', path.join(root, 'w1'), 'fetch']),
      startCli([...args, '--work', path.join(root, 'w2'), 'fetch']),
    ]);
    expect(a.exitCode).toBe(0);
    expect(b.exitCode).toBe(0);
    expect(fixture.server.requests.sort()).toEqual(['GET /app-1.0.tar.gz', 'GET /greet-1.0.tar.gz']);

    await fixture.server.close();
    const offline = await runCli([...args, '--work', path.join(root, 'w3'), 'build', '--offline']);
    expect(offline.exitCode).toBe(0);
    expect(summaryOf(offline.stdout)).toMatch(/failed 0/);
  });

  it('a stale patch names the patch and the failing hunk, and leaves no half-patched tree', async () => {
    const root = await tempDir();
    const fixture = await makeFixture(root);
    writeFileSync(
      path.join(path.dirname(fixture.patchFile), '0002-stale.patch'),
      '--- a/tool/main.c\n+++ b/tool/main.c\n@@ -1,3 +1,3 @@\n #include <stdio.h>\n-int main(int argc) {\n+int main(int argc, char **argv) {\n   puts("hello");\n',
    );
    const work = path.join(root, 'work');
    const result = await runCli(['--toolchain', fixture.dir, '--work', work, '--cache', path.join(root, 'cache'), 'build', 'greet-tool']);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toMatch(/error: greet-tool: patch: patch 0002-stale\.patch does not apply: tool\/main\.c: Hunk #1 FAILED at 1\./);
    expect(existsSync(path.join(work, 'src/greet-tool'))).toBe(false);
  });

  it('builds from a local override, keyed by its content, and says so', async () => {
    const root = await tempDir();
    const fixture = await makeFixture(root);
    const local = path.join(root, 'local-greet');
    execFileSync('tar', ['-xzf', '-', '-C', root], { input: fixture.tarballs['greet-1.0.tar.gz'] });
    execFileSync('mv', [path.join(root, 'greet-1.0'), local]);
    writeFileSync(path.join(local, 'tool/main.c'), '#include <stdio.h>\nint main(void) { puts("local"); return 0; }\n');
    const work = path.join(root, 'work');
    const args = ['--toolchain', fixture.dir, '--work', work, '--cache', path.join(root, 'cache'), 'build', 'greet-tool', '--source', `greet-tool=${local}`];
    const first = await runCli(args);
    expect(first.exitCode).toBe(0);
    expect(summaryOf(first.stdout)).toMatch(/ran 3 tasks, .* source override: greet-tool$/);
    expect(execFileSync(path.join(work, 'image/greet-tool/opt/hermit/bin/greet')).toString()).toBe('local\n');
    expect(fixture.server.requests).toHaveLength(0);
    expect(summaryOf((await runCli(args)).stdout)).toMatch(/ran 0 tasks/);
    writeFileSync(path.join(local, 'tool/main.c'), '#include <stdio.h>\nint main(void) { puts("edited"); return 0; }\n');
    expect(summaryOf((await runCli(args)).stdout)).toMatch(/ran 3 tasks/);
    expect(execFileSync(path.join(work, 'image/greet-tool/opt/hermit/bin/greet')).toString()).toBe('edited\n');
    expect(readdirSync(path.join(work, 'src'))).toEqual(['greet-tool']);
  });
});
