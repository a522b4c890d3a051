import { execFileSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { executeBuild, prepareBuild, type BuildOutcome } from '../../src/engine/execute.js';
import { withPackaging } from '../../src/commands/packaging.js';
import { CounterBudget } from '../../src/process/budget.js';
import { writeRepository } from '../../src/package/repo.js';
import { ShlibdepsError } from '../../src/package/shlibs.js';
import { TaskError } from '../../src/errors.js';
import { loadToolchain } from '../../src/recipes/load.js';
import { aptSandbox } from '../support/apt-sandbox.js';
import { writeDebFixture } from '../support/deb-fixture.js';

const EPOCH = 1672531200;
const PACKAGES = ['fixture-hermit_1-1_all.deb', 'hello-hermit_2.40-1_amd64.deb', 'libfake-hermit_1.0+git20230101-1_all.deb'];

/** Builds (and packages) the fixture recipes into a work directory, as `build` does. */
async function build(toolchainDir: string, workDir: string, selected: string[], compress?: string): Promise<BuildOutcome> {
  const loaded = await loadToolchain(toolchainDir);
  const toolchain = withPackaging(loaded, compress === undefined ? {} : { compress });
  const prepared = await prepareBuild({ toolchain, selected, workDir, cacheDir: path.join(workDir, 'cache'), jobs: 2 });
  const outcome = await executeBuild(prepared, { budget: new CounterBudget(2), keepGoing: true });
  await writeRepository(prepared.ctx.outDir, { epoch: EPOCH });
  return outcome;
}

const dpkgDeb = (...args: string[]): string => execFileSync('dpkg-deb', args).toString();

describe('packages of a build', () => {
  let root: string;
  let toolchainDir: string;
  let out: string;
  const recipes = ['hello', 'libfake', 'meta'];
  const deb = (name: string): string => path.join(out, name);

  // One build for all the tests of this file: they look at it from different sides.
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  beforeAll(async () => {
    root = mkdtempSync(path.join(os.tmpdir(), 'ht-debs-'));
    toolchainDir = await writeDebFixture(path.join(root, 'toolchain'), { withOutside: true, withUnresolved: true });
    const outcome = await build(toolchainDir, path.join(root, 'work'), recipes);
    expect(outcome.errors.map((e) => String(e.error))).toEqual([]);
    out = path.join(root, 'work', 'out');
  }, 120_000);

  it('writes one .deb per recipe with a package section, named NAME_VERSION_ARCH.deb', () => {
    expect(readdirSync(out).filter((f) => f.endsWith('.deb')).sort()).toEqual(PACKAGES);
    expect(execFileSync('ar', ['t', deb(PACKAGES[1]!)]).toString()).toBe('debian-binary\ncontrol.tar.xz\ndata.tar.xz\n');
  });

  it('fills the control file: architecture from the contents, pinned and shared-library dependencies', () => {
    const hello = deb('hello-hermit_2.40-1_amd64.deb');
    // A program that uses only libc (and a library it ships) needs the oldest libc6 with the
    // symbols it uses, as Debian's symbols file says: an upstream version, no Debian revision.
    expect(dpkgDeb('--field', hello, 'Architecture', 'Depends')).toMatch(/^Architecture: amd64\nDepends: libc6 \(>= 2\.\d+\)\n$/);
    expect(dpkgDeb('--field', deb(PACKAGES[2]!), 'Architecture', 'Depends')).toBe('Architecture: all\nDepends: hello-hermit (= 2.40-1)\n');
    expect(dpkgDeb('--field', deb(PACKAGES[0]!), 'Depends')).toBe('hello-hermit (= 2.40-1), libfake-hermit (= 1.0+git20230101-1)\n');
    const control = dpkgDeb('--field', hello);
    expect(control).toMatch(/^Package: hello-hermit\nVersion: 2\.40-1\nArchitecture: amd64\nMaintainer: .+\nInstalled-Size: \d+\nDepends: .+\nSection: devel\nPriority: optional\nHomepage: https:\/\/example\.org\/hello\nDescription: greeting programs/);
    expect(control).toContain('\n The hello programs greet through a shared library of their own.\n .\n They exist to test packaging.\n');
  });

  it('counts Installed-Size as dpkg-gencontrol does', () => {
    for (const name of PACKAGES) {
      const listing = dpkgDeb('--contents', deb(name)).trim().split('\n');
      let expected = 0;
      for (const line of listing) {
        const [mode, , size, , , file] = line.split(/\s+/);
        if (file === './') continue;
        if (mode!.startsWith('-')) expected += Math.ceil(Number(size) / 1024);
        else if (mode!.startsWith('d') || mode!.startsWith('l')) expected += 1;
      }
      expect([name, dpkgDeb('--field', deb(name), 'Installed-Size').trim()]).toEqual([name, String(expected)]);
    }
  });

  it('ships md5sums for every file, the docs, and host binaries stripped', () => {
    const dir = path.join(root, 'extract');
    execFileSync('dpkg-deb', ['-R', deb('hello-hermit_2.40-1_amd64.deb'), dir]);
    const sums = readFileSync(path.join(dir, 'DEBIAN/md5sums'), 'utf8');
    expect(sums).toContain('  opt/hermit/x86_64-hermit/bin/hello\n');
    expect(sums).toContain('  usr/share/doc/hello-hermit/copyright\n');
    expect(execFileSync('md5sum', ['--check', '--strict', path.join(dir, 'DEBIAN/md5sums')], { cwd: dir }).toString()).not.toMatch(/FAILED/);
    const files = execFileSync('find', ['.', '-path', './DEBIAN', '-prune', '-o', '-type', 'f', '-print'], { cwd: dir }).toString().trim().split('\n');
    expect(sums.trim().split('\n')).toHaveLength(files.length);
    const sections = execFileSync('readelf', ['-S', '-W', path.join(dir, 'opt/hermit/bin/x86_64-hermit-hello')]).toString();
    expect(sections).not.toContain('.symtab');
    expect(sections).not.toContain('.debug_info');
    // The image itself keeps its symbols (it is hard-linked into other stages).
    expect(execFileSync('readelf', ['-S', '-W', path.join(root, 'work/image/hello/opt/hermit/bin/x86_64-hermit-hello')]).toString()).toContain('.symtab');
    expect((statSync(path.join(dir, 'opt/hermit/lib/libgreet.so.1')).mode & 0o777).toString(8)).toBe('644');
    const copyright = readFileSync(path.join(dir, 'usr/share/doc/hello-hermit/copyright'), 'utf8');
    expect(copyright).toMatch(/^Format: https:\/\/www\.debian\.org\/doc\/packaging-manuals\/copyright-format\/1\.0\/\n/);
    expect(copyright).toContain('License: GPL-3.0-or-later\n On Debian systems, the complete text of the GNU General Public License version 3 can be found in /usr/share/common-licenses/GPL-3.');
    const changelog = execFileSync('zcat', [path.join(dir, 'usr/share/doc/hello-hermit/changelog.Debian.gz')]).toString();
    expect(execFileSync('dpkg-parsechangelog', ['-l', '-', '-S', 'Version'], { input: changelog }).toString()).toBe('2.40-1\n');
    expect(execFileSync('dpkg-parsechangelog', ['-l', '-', '-S', 'Timestamp'], { input: changelog }).toString()).toBe(`${EPOCH}\n`);
  });

  it('installs with dpkg into a private root, and the installed program runs', async () => {
    const inst = path.join(root, 'inst');
    const admin = path.join(inst, 'var/lib/dpkg');
    for (const sub of ['info', 'updates', 'triggers']) mkdirSync(path.join(admin, sub), { recursive: true });
    writeFileSync(path.join(admin, 'available'), '');
    const dpkg = (args: string[]) => execa('dpkg', [`--root=${inst}`, `--log=${path.join(inst, 'dpkg.log')}`, ...args], { reject: false, all: true });
    // An empty database lacks libc6: the dependency dpkg-shlibdeps found must stop dpkg.
    writeFileSync(path.join(admin, 'status'), '');
    const refused = await dpkg(['-i', deb('hello-hermit_2.40-1_amd64.deb')]);
    expect(refused.exitCode).toBe(1);
    expect(refused.all).toMatch(/hello-hermit depends on libc6 \(>= [^)]+\); however:\s+Package libc6 is not installed/);
    await dpkg(['--purge', 'hello-hermit']);
    // With the machine's libc6 entry in the private database, at the oldest version the Depends
    // allow (a machine that is behind this one), everything installs.
    const oldest = /libc6 \(>= ([^)]+)\)/.exec(dpkgDeb('--field', deb('hello-hermit_2.40-1_amd64.deb'), 'Depends'))![1]!;
    const libc6 = execFileSync('dpkg-query', ['-s', 'libc6']).toString().replace(/^Version: .*$/m, `Version: ${oldest}`);
    writeFileSync(path.join(admin, 'status'), `${libc6}\n`);
    const installed = await dpkg(['-i', ...PACKAGES.map(deb)]);
    expect(installed.exitCode, installed.all).toBe(0);
    expect(execFileSync(path.join(inst, 'opt/hermit/bin/x86_64-hermit-hello')).toString()).toBe('hello from libgreet\n');
    expect(statSync(path.join(inst, 'opt/hermit/x86_64-hermit/bin/hello')).ino).toBe(statSync(path.join(inst, 'opt/hermit/bin/x86_64-hermit-hello')).ino);
    const verify = await dpkg(['--verify', 'hello-hermit', 'libfake-hermit', 'fixture-hermit']);
    expect(verify.exitCode, verify.all).toBe(0);
    expect((await dpkg(['-l', 'fixture-hermit'])).all).toMatch(/^ii +fixture-hermit +1-1 +all /m);
  });

  it('passes lintian without errors, overriding only the tags of an add-on cross toolchain', async () => {
    const result = await execa('lintian', ['--show-overrides', '--no-tag-display-limit', ...PACKAGES.map(deb)], { reject: false, all: true, env: { LC_ALL: 'C.UTF-8' } });
    const lines = (result.all ?? '').split('\n');
    expect(lines.filter((line) => line.startsWith('E:'))).toEqual([]);
    const overridden = new Set(lines.filter((line) => line.startsWith('O:')).map((line) => line.split(' ')[2]));
    expect([...overridden].sort()).toEqual(['arch-independent-package-contains-binary-or-object', 'dir-or-file-in-opt']);
    expect(lines.filter((line) => line.includes('unused-override') || line.includes('malformed-override'))).toEqual([]);
  }, 120_000);

  it('makes the output folder an apt repository that apt-get uses', async () => {
    const apt = await aptSandbox(path.join(root, 'apt'), `deb [trusted=yes] file:${out} ./`);
    const update = await apt.run('apt-get', ['update']);
    expect(update.exitCode, update.output).toBe(0);
    expect(update.output).not.toMatch(/^(W|E):/m);
    const show = await apt.run('apt-cache', ['show', 'hello-hermit']);
    expect(show.output).toContain('Filename: ./hello-hermit_2.40-1_amd64.deb');
    expect(show.output).toMatch(/SHA256: [0-9a-f]{64}/);
    const simulate = await apt.run('apt-get', ['install', '--simulate', 'fixture-hermit']);
    expect(simulate.exitCode, simulate.output).toBe(0);
    for (const name of ['hello-hermit', 'libfake-hermit', 'fixture-hermit']) expect(simulate.output).toMatch(new RegExp(`^Inst ${name} `, 'm'));
    const download = await apt.run('apt-get', ['install', '--download-only', '--yes', 'fixture-hermit']);
    expect(download.exitCode, download.output).toBe(0);
    expect(download.output).toContain('Download complete and in download only mode');
  });

  it('is reproducible: another work directory gives byte-identical packages and index', async () => {
    await build(toolchainDir, path.join(root, 'work-again'), recipes);
    const again = path.join(root, 'work-again', 'out');
    const names = readdirSync(out).filter((f) => !f.startsWith('.')).sort();
    expect(names).toEqual([...PACKAGES, 'Packages', 'Packages.gz', 'Release'].sort());
    expect(readdirSync(again).sort()).toEqual(names);
    for (const name of names) expect([name, readFileSync(path.join(again, name)).equals(readFileSync(path.join(out, name)))]).toEqual([name, true]);
  }, 120_000);

  it('does not rewrite an unchanged package, and rebuilds one that went missing', async () => {
    const work = path.join(root, 'work');
    const hello = deb('hello-hermit_2.40-1_amd64.deb');
    const before = statSync(hello);
    const bytes = readFileSync(hello);
    const rerun = await build(toolchainDir, work, recipes);
    expect(rerun.ran).toBe(0);
    expect(statSync(hello).mtimeMs).toBe(before.mtimeMs);
    rmSync(hello);
    const repaired = await build(toolchainDir, work, recipes);
    expect(repaired.ran).toBe(1);
    expect(readFileSync(hello).equals(bytes)).toBe(true);
  }, 120_000);

  it('repacks when the compression changes, and replaces the older file of the package', async () => {
    const work = path.join(root, 'work-zst');
    await build(toolchainDir, work, ['hello']);
    const zst = await build(toolchainDir, work, ['hello'], 'zst');
    expect(zst.ran).toBe(1);
    const file = path.join(work, 'out', 'hello-hermit_2.40-1_amd64.deb');
    expect(execFileSync('ar', ['t', file]).toString()).toBe('debian-binary\ncontrol.tar.zst\ndata.tar.zst\n');
    expect(dpkgDeb('--field', file, 'Package')).toBe('hello-hermit\n');
    // A new revision is a new file name: the old one goes, the index lists one version.
    appendFileSync(path.join(toolchainDir, 'toolchain.yaml'), '');
    const profile = readFileSync(path.join(toolchainDir, 'toolchain.yaml'), 'utf8');
    writeFileSync(path.join(toolchainDir, 'toolchain.yaml'), profile.replace('revision: "1"', 'revision: "2"'));
    try {
      await build(toolchainDir, work, ['hello'], 'zst');
    } finally {
      writeFileSync(path.join(toolchainDir, 'toolchain.yaml'), profile);
    }
    expect(readdirSync(path.join(work, 'out')).filter((f) => f.endsWith('.deb'))).toEqual(['hello-hermit_2.40-2_amd64.deb']);
    expect(readFileSync(path.join(work, 'out', 'Packages'), 'utf8')).toMatch(/^Version: 2\.40-2$/m);
  }, 120_000);

  it('refuses an image with a path outside the prefix', async () => {
    const work = path.join(root, 'work-outside');
    const outcome = await build(toolchainDir, work, ['outside']);
    expect(outcome.failed).toBe(1);
    const error = outcome.errors[0]!.error as Error & { details: string[] };
    expect(error.message).toMatch(/^outside: package: the image of outside has 2 path\(s\) outside the prefix \/opt\/hermit/);
    expect(error.details).toEqual(['/etc', '/etc/outside.conf']);
    expect(existsSync(path.join(work, 'out', 'outside-hermit_1-1_amd64.deb'))).toBe(false);
    expect(existsSync(path.join(work, 'out', 'outside-hermit_1-1_all.deb'))).toBe(false);
  }, 120_000);

  it('fails the package task with dpkg-shlibdeps\' messages when a binary needs a library no package has', async () => {
    const work = path.join(root, 'work-needy');
    const outcome = await build(toolchainDir, work, ['needy']);
    expect(outcome.failed).toBe(1);
    const error = outcome.errors[0]!.error;
    expect(error).toBeInstanceOf(TaskError);
    const { recipe, task, message, details, cause } = error as TaskError;
    expect([recipe, task]).toEqual(['needy', 'package']);
    expect(message).toMatch(/^needy: package: no shared-library dependencies for needy-hermit: dpkg-shlibdeps exited with code \d+$/);
    expect(details[0]).toMatch(/^error: cannot find library libgone\.so\.1 needed by \/opt\/hermit\/bin\/needy /);
    expect(cause).toBeInstanceOf(ShlibdepsError);
    expect(readFileSync(path.join(work, 'logs/needy/package.log'), 'utf8')).toContain('cannot find library libgone.so.1');
    expect(readdirSync(path.join(work, 'image'))).toEqual(['needy']);
    expect(readdirSync(path.join(work, 'out')).filter((f) => f.endsWith('.deb'))).toEqual([]);
  }, 120_000);
});
