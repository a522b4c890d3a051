import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import { errorLines, makeBlobFixture, sha256 } from '../support/faults.js';
import { commitFiles } from '../support/git.js';
import { tempDir } from '../support/tmp.js';

function write(file: string, text: string): void {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, text);
}

/** A patch that adds one file, so that it applies to any tree. */
const adding = (name: string): string => `--- /dev/null\n+++ b/${name}\n@@ -0,0 +1 @@\n+${name}\n`;

function tarGz(parent: string, folder: string, out: string): Buffer {
  execFileSync('tar', ['--sort=name', '--mtime=2023-01-01 00:00Z', '--owner=0', '--group=0', '--numeric-owner', '--use-compress-program=gzip -n', '-cf', out, folder], { cwd: parent });
  return readFileSync(out);
}

/**
 * The blob fixture (a release tarball on a loopback server, with a patch) and beside it: `alt`,
 * whose upstream is gone and whose Debian alternate's file is in the cache (with a patch folder
 * of its own, applied first); `kern`, a git pin exported from the cached repository, which
 * needs `net`, a git pin whose verified archive a premirror serves (not shipped); and the meta
 * package `all`, which has no source.
 */
async function legalFixture(root: string) {
  const blob = await makeBlobFixture(root, { size: 4096, recipe: 'patches: patches/blob/1.0\npackage:\n  name: blob-hermit\n' });
  const dir = blob.dir;
  const cache = path.join(root, 'cache');
  write(path.join(dir, 'patches/blob/1.0/0001-notes.patch'), adding('NOTES'));

  write(path.join(root, 'alt-src/alt-2.0/hello'), 'hello\n');
  const altTarball = tarGz(path.join(root, 'alt-src'), 'alt-2.0', path.join(root, 'alt-2.0.tar.gz'));
  const altSha = sha256(altTarball);
  mkdirSync(path.join(cache, 'downloads', altSha), { recursive: true });
  writeFileSync(path.join(cache, 'downloads', altSha, 'alt-2.0.tar.gz'), altTarball);
  const debSha = 'd'.repeat(64);
  write(
    path.join(dir, 'recipes/alt.yaml'),
    `name: alt
version: "2.0"
summary: built from a Debian alternate
license: GPL-2.0-only
source:
  url: ${blob.server.url}/gone/alt-2.0.tar.gz
  sha256: ${'e'.repeat(64)}
  alternates:
    - deb: { package: alt-source, version: "2.0-1", sha256: ${debSha} }
      file: usr/src/alt/alt-2.0.tar.gz
      sha256: ${altSha}
      patches: patches/alt/debian
patches: patches/alt/2.0
install:
  - [sh, -c, "mkdir -p {image}{prefix}/share/alt && cp {src}/hello {src}/DEBIAN-NOTE {src}/OUR-NOTE {image}{prefix}/share/alt/"]
package:
  name: alt-hermit
`,
  );
  write(path.join(dir, 'patches/alt/debian/0001-debian.patch'), adding('DEBIAN-NOTE'));
  write(path.join(dir, 'patches/alt/2.0/0001-ours.patch'), adding('OUR-NOTE'));

  const kernCommit = commitFiles(path.join(root, 'repos/kern'), { 'kernel.c': 'int main;\n' });
  write(
    path.join(dir, 'recipes/kern.yaml'),
    `name: kern
version: "0.1"
summary: a kernel from a git pin
license: BSD-2-Clause
source:
  git:
    url: ${path.join(root, 'repos/kern')}
    commit: "${kernCommit}"
needs: [net]
install:
  - [sh, -c, "mkdir -p {image}{prefix}/share/kern && cp {src}/kernel.c {src:net}/net.c {image}{prefix}/share/kern/"]
package:
  name: kern-hermit
`,
  );

  const netCommit = 'f'.repeat(40);
  write(path.join(root, 'net-src', `net-${netCommit}`, 'net.c'), 'int net;\n');
  mkdirSync(path.join(root, 'mirror'));
  const netArchive = tarGz(path.join(root, 'net-src'), `net-${netCommit}`, path.join(root, 'mirror', `net-${netCommit}.tar.gz`));
  write(
    path.join(dir, 'recipes/net.yaml'),
    `name: net
version: "1.0"
summary: a stack kern compiles in, from a premirror's archive
license: BSD-3-Clause
source:
  git:
    url: https://github.invalid/x/net.git
    commit: "${netCommit}"
    archive-sha256: ${sha256(netArchive)}
`,
  );
  write(
    path.join(dir, 'recipes/all.yaml'),
    'name: all\nversion: "1"\nsummary: everything\nlicense: MIT\npackage:\n  name: all-hermit\n  depends: [blob-hermit, alt-hermit, kern-hermit]\n',
  );
  return { blob, cache, kernCommit, netCommit, altSha, debSha, netArchive };
}

/** The manifest's rows as objects (the fixture's fields hold no quotes or line breaks). */
function manifest(dir: string): Array<Record<string, string>> {
  const [header, ...lines] = readFileSync(path.join(dir, 'manifest.csv'), 'utf8').trimEnd().split('\n');
  const columns = header!.split(',');
  return lines.map((line) => {
    const cells = line.match(/("(?:[^"]|"")*"|[^,]*)(,|$)/g)!.map((cell) => cell.replace(/,$/, '').replace(/^"(.*)"$/, '$1').replace(/""/g, '"'));
    return Object.fromEntries(columns.map((column, index) => [column, cells[index] ?? '']));
  });
}

const sha256sumCheck = (dir: string): string => execFileSync('sha256sum', ['-c', 'SHA256SUMS'], { cwd: dir, encoding: 'utf8' });

describe('legal-info command', () => {
  it('writes every shipped recipe\'s and needed recipe\'s source and patches, a manifest and SHA256SUMS that sha256sum -c accepts', async () => {
    const root = await tempDir();
    const f = await legalFixture(root);
    const work = path.join(root, 'work');
    const args = ['--toolchain', f.blob.dir, '--work', work, '--cache', f.cache, '--jobs', '2'];
    const built = await runCli([...args, '--mirror', path.join(root, 'mirror'), 'build']);
    expect(built.exitCode, built.stderr + built.stdout).toBe(0);

    const out = path.join(root, 'legal');
    const result = await runCli([...args, 'legal-info', '--out', out]);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toContain(`legal-info: 9 files for 4 recipes (4 sources, 3 patches, 2 series), `);
    expect(result.stdout).toContain('  built from, not shipped: net\n');
    expect(result.stdout).toContain('  no source: all\n');

    const rows = manifest(out);
    const k = f.kernCommit;
    const n = f.netCommit;
    expect(rows.map((row) => [row.recipe, row.package, row.version, row.license, row.kind, row.path])).toEqual([
      ['alt', 'alt-hermit', '2.0', 'GPL-2.0-only', 'source', 'sources/alt-2.0/alt-2.0.tar.gz'],
      ['alt', 'alt-hermit', '2.0', 'GPL-2.0-only', 'patch', 'sources/alt-2.0/patches/alt/debian/0001-debian.patch'],
      ['alt', 'alt-hermit', '2.0', 'GPL-2.0-only', 'patch', 'sources/alt-2.0/patches/alt/2.0/0001-ours.patch'],
      ['alt', 'alt-hermit', '2.0', 'GPL-2.0-only', 'series', 'sources/alt-2.0/patches/series'],
      ['blob', 'blob-hermit', '1.0', 'MIT', 'source', 'sources/blob-1.0/blob-1.0.tar'],
      ['blob', 'blob-hermit', '1.0', 'MIT', 'patch', 'sources/blob-1.0/patches/blob/1.0/0001-notes.patch'],
      ['blob', 'blob-hermit', '1.0', 'MIT', 'series', 'sources/blob-1.0/patches/series'],
      ['net', '', '1.0', 'BSD-3-Clause', 'source', `sources/net-1.0/net-${n}.tar.gz`],
      ['kern', 'kern-hermit', '0.1', 'BSD-2-Clause', 'source', `sources/kern-0.1/kern-${k}.tar.gz`],
    ]);
    const byPath = new Map(rows.map((row) => [row.path, row]));
    expect(byPath.get('sources/blob-1.0/blob-1.0.tar')!.origin).toBe(f.blob.url);
    expect(byPath.get('sources/alt-2.0/alt-2.0.tar.gz')!.origin).toBe(
      `usr/src/alt/alt-2.0.tar.gz taken out of Debian package alt-source=2.0-1 (alt-source_2.0-1.deb, sha256 ${f.debSha})`,
    );
    expect(byPath.get(`sources/net-1.0/net-${n}.tar.gz`)).toMatchObject({ sha256: sha256(f.netArchive), origin: `git https://github.invalid/x/net.git at ${n}, as the verified archive net-${n}.tar.gz` });
    expect(byPath.get(`sources/kern-0.1/kern-${k}.tar.gz`)!.origin).toBe(`git ${path.join(root, 'repos/kern')} at ${k}, made here from the cached repository`);
    expect(readFileSync(path.join(out, 'sources/alt-2.0/patches/series'), 'utf8')).toBe('alt/debian/0001-debian.patch\nalt/2.0/0001-ours.patch\n');
    // The cache's files are hard links, not copies.
    expect(statSync(path.join(out, 'sources/blob-1.0/blob-1.0.tar')).ino).toBe(statSync(f.blob.cached(f.cache)).ino);

    // The real sha256sum checks every file listed, the manifest among them.
    const checked = sha256sumCheck(out).trimEnd().split('\n');
    expect(checked).toHaveLength(10);
    expect(checked.every((line) => line.endsWith(': OK'))).toBe(true);
    expect(checked).toContain('manifest.csv: OK');

    // Again, into a second folder: the tarball made from the repository has the same bytes.
    const again = path.join(root, 'again');
    expect((await runCli([...args, 'legal-info', '--out', again])).exitCode).toBe(0);
    expect(manifest(again)).toEqual(rows);

    // A changed patch means the package was not built from what would be listed now.
    write(path.join(f.blob.dir, 'patches/blob/1.0/0001-notes.patch'), adding('OTHER-NOTES'));
    const stale = await runCli([...args, 'legal-info', '--out', out]);
    expect(stale.exitCode).toBe(1);
    expect(errorLines(stale.stderr)).toEqual(['error: changed since the last build: blob (the sources, patches or recipe differ from what the package was built from): run `hermit-toolchain build` first']);
  }, 120_000);

  it('says which source a recipe satisfied from the artifact cache had, without a record of its unpack', async () => {
    const root = await tempDir();
    const f = await legalFixture(root);
    const common = ['--toolchain', f.blob.dir, '--cache', f.cache, '--jobs', '2'];
    expect((await runCli([...common, '--work', path.join(root, 'first'), '--mirror', path.join(root, 'mirror'), 'build'])).exitCode).toBe(0);
    // A second work directory restores every image from the artifact cache: nothing is unpacked there.
    const second = path.join(root, 'second');
    const restored = await runCli([...common, '--work', second, 'build']);
    expect(restored.exitCode, restored.stderr).toBe(0);
    expect(existsSync(path.join(second, 'state/alt/source'))).toBe(false);

    const out = path.join(root, 'legal');
    const result = await runCli([...common, '--work', second, 'legal-info', '--out', out]);
    expect(result.exitCode, result.stderr).toBe(0);
    // net, a tree without an image, is unpacked all the same (kern's steps would read it).
    const origins = new Map(manifest(out).filter((row) => row.kind === 'source').map((row) => [row.recipe, row.origin!.split('; ')[0]]));
    const unrecorded = 'not unpacked by the last build (its image came from the artifact cache)';
    expect(Object.fromEntries(origins)).toEqual({ blob: unrecorded, alt: unrecorded, kern: unrecorded, net: `git https://github.invalid/x/net.git at ${f.netCommit}, as the verified archive net-${f.netCommit}.tar.gz` });
    // What a build would use now: the alternate (the release is not in the cache), with its patches.
    expect(manifest(out).filter((row) => row.recipe === 'alt').map((row) => row.kind)).toEqual(['source', 'patch', 'patch', 'series']);
    expect(sha256sumCheck(out)).toContain('sources/alt-2.0/alt-2.0.tar.gz: OK');
  }, 120_000);

  it('names a source missing from the cache in one error line, and writes nothing', async () => {
    const root = await tempDir();
    const f = await legalFixture(root);
    const work = path.join(root, 'work');
    const args = ['--toolchain', f.blob.dir, '--work', work, '--cache', f.cache, '--jobs', '2'];
    expect((await runCli([...args, '--mirror', path.join(root, 'mirror'), 'build'])).exitCode).toBe(0);
    rmSync(path.dirname(f.blob.cached(f.cache)), { recursive: true });

    const out = path.join(root, 'legal');
    const result = await runCli([...args, 'legal-info', '--out', out]);
    expect(result.exitCode).toBe(1);
    expect(result.stderr.trimEnd().split('\n')).toEqual([
      `error: blob: blob-1.0.tar (sha256 ${sha256(f.blob.tarball)}) is not in the cache ${f.cache} (run \`hermit-toolchain fetch blob\`)`,
    ]);
    expect(existsSync(out)).toBe(false);
    expect(existsSync(path.join(root, 'work/legal-info'))).toBe(false);
  }, 120_000);

  it('needs a build first', async () => {
    const root = await tempDir();
    const f = await legalFixture(root);
    const result = await runCli(['--toolchain', f.blob.dir, '--work', path.join(root, 'work'), '--cache', f.cache, 'legal-info']);
    expect(result.exitCode).toBe(1);
    expect(errorLines(result.stderr)).toEqual([`error: no package was built in ${path.join(root, 'work')}: run \`hermit-toolchain build\` first`]);
  });
});
