import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeRepository } from '../../src/package/repo.js';
import { runCli } from '../support/cli.js';
import { serve } from '../support/http.js';
import { tempDir } from '../support/tmp.js';
import { writeToolchainFixture } from '../support/toolchain-fixture.js';

const INSTALLED = ['gcc-hermit', 'hello-hermit', 'hermit-toolchain', 'libfake-hermit'];

/** The fixture toolchain built and packaged: returns the repository folder. */
async function builtRepository(dir: string): Promise<{ toolchain: string; out: string }> {
  const toolchain = await writeToolchainFixture(path.join(dir, 'toolchain'));
  const work = path.join(dir, 'work');
  const build = await runCli(['--toolchain', toolchain, '--work', work, '--cache', path.join(dir, 'cache'), 'build']);
  expect(build.exitCode, build.stdout + build.stderr).toBe(0);
  return { toolchain, out: path.join(work, 'out') };
}

function dpkgStatus(root: string): Record<string, string> {
  const text = execFileSync('dpkg-query', [`--admindir=${root}/var/lib/dpkg`, '-W', '-f=${Package}\t${db:Status-Abbrev}${Version}\n']).toString();
  return Object.fromEntries(text.trim().split('\n').map((line) => line.split('\t') as [string, string]));
}

describe('bootstrap --root', () => {
  it('installs the meta package and what it needs from a repository folder, and verifies the compiler', async () => {
    const dir = await tempDir();
    const { out } = await builtRepository(dir);
    const root = path.join(dir, 'root');
    const result = await runCli(['bootstrap', '--from', out, '--root', root]);
    expect(result.exitCode, result.stdout + result.stderr).toBe(0);
    // The meta package was chosen and pulled in its dependencies, not libfake's neighbour fixture-hermit.
    expect(result.stdout).toContain(`repository ${out}: 5 packages; installing hermit-toolchain (with `);
    const status = dpkgStatus(root);
    for (const name of INSTALLED) expect(status[name], name).toMatch(/^ii /);
    expect(status['fixture-hermit']).toBeUndefined();
    // libc6 comes from this machine: recorded, with the machine's version.
    expect(status['libc6']).toBe(`ii ${execFileSync('dpkg-query', ['-W', '-f=${Version}', 'libc6']).toString()}`);
    expect(readFileSync(path.join(root, 'etc/apt/sources.list.d/hermit-toolchain.list'), 'utf8')).toBe(`deb [trusted=yes] file:${out} ./\n`);
    // The installed program runs, and the profile script puts the prefix on PATH (last).
    expect(execFileSync(path.join(root, 'opt/hermit/bin/x86_64-hermit-hello')).toString()).toBe('hello from libgreet\n');
    const profile = path.join(root, 'etc/profile.d/hermit-toolchain.sh');
    expect(execFileSync('sh', ['-c', '. "$1"; printf %s "$PATH"', 'sh', profile], { env: { PATH: '/usr/bin:/bin' } }).toString()).toBe('/usr/bin:/bin:/opt/hermit/bin');
    expect(execFileSync('sh', ['-c', '. "$1"; . "$1"; printf %s "$PATH"', 'sh', profile], { env: { PATH: '/opt/hermit/bin:/bin' } }).toString()).toBe('/opt/hermit/bin:/bin');
    // Every action is printed as it happens, then the verification.
    const lines = result.stdout.split('\n');
    const order = ['write ', 'record in ', 'run dpkg --root=', 'write ', 'verify the installation', 'verify: ok      packages installed', 'verify: ok      files intact', 'verify: ok      PATH', 'verify: ok      compiler'];
    let at = 0;
    for (const prefix of order) {
      at = lines.findIndex((line, index) => index >= at && line.startsWith(prefix));
      expect(at, `"${prefix}" after the previous lines in:\n${result.stdout}`).toBeGreaterThanOrEqual(0);
    }
    expect(result.stdout).toMatch(/verify: ok +compiler: .*x86_64-hermit-gcc built hello world, an ELF executable with OS\/ABI 0xff \(Standalone\)/);
    // No machine state changed: nothing outside the root.
    expect(existsSync('/etc/apt/sources.list.d/hermit-toolchain.list')).toBe(false);

    // Again: an idempotent re-run, same result.
    const again = await runCli(['bootstrap', '--from', out, '--root', root]);
    expect(again.exitCode, again.stdout + again.stderr).toBe(0);
    expect(readFileSync(path.join(root, 'var/lib/dpkg/status'), 'utf8').match(/^Package: libc6$/gm)).toHaveLength(1);

    // A profile wanting another OS/ABI than the compiler produces fails the verification.
    const config = path.join(dir, 'hermitcore.yaml');
    writeFileSync(config, 'osabi: HermitCore\n');
    const wrong = await runCli(['--config', config, 'bootstrap', '--from', out, '--root', root]);
    expect(wrong.exitCode).toBe(1);
    expect(wrong.stdout).toMatch(/verify: failed +compiler: hello has OS\/ABI 0xff \(Standalone\), the profile wants 0x42 \(HermitCore\)/);
  });

  it('--dry-run prints every action and changes nothing', async () => {
    const dir = await tempDir();
    const { out } = await builtRepository(dir);
    const root = path.join(dir, 'root');
    const result = await runCli(['bootstrap', '--from', out, '--root', root, '--dry-run', '--binfmt', 'gcc-hermit']);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(existsSync(root)).toBe(false);
    const lines = result.stdout.split('\n').filter((line) => line.startsWith('[dry run] ') && !line.startsWith('[dry run]   |'));
    expect(lines.map((line) => line.split(' ').slice(2, 4).join(' '))).toEqual([
      `write ${root}/etc/apt/sources.list.d/hermit-toolchain.list`,
      `record in`,
      `run dpkg`,
      `write ${root}/etc/profile.d/hermit-toolchain.sh`,
      `verify the`,
      `register the`,
      `would write`,
      `(and ${root}/proc/sys/fs/binfmt_misc`,
    ]);
    expect(result.stdout).toContain(`run dpkg --root=${root} --install ${out}/hello-hermit_2.40-1_amd64.deb ${out}/gcc-hermit_12.2.0-1_all.deb  #`);
    expect(result.stdout).toContain(`would write to ${root}/proc/sys/fs/binfmt_misc/register: :hermit:M:7:\\xff::/opt/hermit/bin/proxy:`);
    expect(result.stdout).toContain('[dry run]   |   *) PATH="${PATH:+${PATH}:}/opt/hermit/bin"; export PATH ;;');
  });

  it('installs from a URL, checking each download against the index, and registers binfmt_misc', async () => {
    const dir = await tempDir();
    const { out } = await builtRepository(dir);
    const files = readdirSync(out).filter((name) => name === 'Packages' || name.endsWith('.deb'));
    const server = await serve(Object.fromEntries(files.map((name) => [`/repo/${name}`, readFileSync(path.join(out, name))])));
    const root = path.join(dir, 'root');
    const binfmt = path.join(dir, 'binfmt_misc');
    execFileSync('mkdir', ['-p', binfmt]);
    writeFileSync(path.join(binfmt, 'register'), '');
    writeFileSync(path.join(binfmt, 'status'), 'enabled\n');
    const result = await runCli(['bootstrap', '--from', `${server.url}/repo`, '--root', root, '--binfmt', '--binfmt-dir', binfmt]);
    expect(result.exitCode, result.stdout + result.stderr).toBe(0);
    expect(result.stdout).toContain(`download ${server.url}/repo/gcc-hermit_12.2.0-1_all.deb -> ${root}/var/cache/apt/archives/gcc-hermit_12.2.0-1_all.deb`);
    expect(server.requests.filter((r) => r.endsWith('.deb')).sort()).toEqual(
      ['gcc-hermit_12.2.0-1_all.deb', 'hello-hermit_2.40-1_amd64.deb', 'hermit-toolchain_1-1_all.deb', 'libfake-hermit_1.0+git20230101-1_all.deb'].map((f) => `GET /repo/${f}`),
    );
    for (const name of INSTALLED) expect(dpkgStatus(root)[name]).toMatch(/^ii /);
    expect(readFileSync(path.join(root, 'etc/apt/sources.list.d/hermit-toolchain.list'), 'utf8')).toBe(`deb [trusted=yes] ${server.url}/repo ./\n`);
    expect(readFileSync(path.join(binfmt, 'register'), 'utf8')).toBe(':hermit:M:7:\\xff::/opt/hermit/bin/proxy:');

    // A package that does not match the index is refused before anything is installed.
    const other = path.join(dir, 'root2');
    const tampered = await serve({
      '/repo/Packages': readFileSync(path.join(out, 'Packages')),
      ...Object.fromEntries(files.filter((f) => f.endsWith('.deb')).map((f) => [`/repo/${f}`, f.startsWith('hello') ? Buffer.concat([readFileSync(path.join(out, f)), Buffer.from('x')]) : readFileSync(path.join(out, f))])),
    });
    const refused = await runCli(['bootstrap', '--from', `${tampered.url}/repo`, '--root', other]);
    expect(refused.exitCode).toBe(1);
    expect(refused.stderr).toMatch(/error: bootstrap: .*hello-hermit_2\.40-1_amd64\.deb: got \d+ bytes, the index says \d+/);
    expect(existsSync(path.join(other, 'opt'))).toBe(false);
  });

  it('without --from builds the toolchain and its packages first, then installs them', async () => {
    const dir = await tempDir();
    const toolchain = await writeToolchainFixture(path.join(dir, 'toolchain'));
    const work = path.join(dir, 'work');
    const root = path.join(dir, 'root');
    const args = ['--toolchain', toolchain, '--work', work, '--cache', path.join(dir, 'cache')];
    const dry = await runCli([...args, 'bootstrap', '--root', root, '--dry-run']);
    expect(dry.exitCode, dry.stderr).toBe(0);
    expect(dry.stdout).toContain(`[dry run] build every recipe and its package, with the apt index in ${work}/out`);
    expect(dry.stdout).toContain('it is not built yet');
    expect(existsSync(work)).toBe(false);
    const result = await runCli([...args, 'bootstrap', '--root', root, 'libfake-hermit']);
    expect(result.exitCode, result.stdout + result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^summary: ran \d+ tasks, skipped 0, failed 0/m);
    expect(result.stdout).toContain(`repository ${work}/out: 5 packages; installing libfake-hermit (with hello-hermit)`);
    expect(Object.keys(dpkgStatus(root)).sort()).toEqual(['hello-hermit', 'libc6', 'libfake-hermit']);
    expect(statSync(path.join(root, 'opt/hermit/x86_64-hermit/lib/libfake.a')).isFile()).toBe(true);
    expect(result.stdout).toMatch(/verify: skipped compiler: the installed packages have no \/opt\/hermit\/bin\/x86_64-hermit-gcc/);
    const unknown = await runCli([...args, 'bootstrap', '--root', root, 'nope-hermit']);
    expect(unknown.exitCode).toBe(1);
    expect(unknown.stderr).toMatch(/error: bootstrap: the repository has no package "nope-hermit" \(it has fixture-hermit, gcc-hermit, hello-hermit, hermit-toolchain, libfake-hermit\)/);
  });
});

describe('bootstrap --root, what the machine lacks', () => {
  it('stops before installing when a dependency outside the repository is not on this machine', async () => {
    const dir = await tempDir();
    const out = path.join(dir, 'repo');
    const tree = path.join(dir, 'tree');
    execFileSync('mkdir', ['-p', `${tree}/DEBIAN`, `${tree}/opt/hermit/bin`]);
    writeFileSync(`${tree}/opt/hermit/bin/tool`, '#!/bin/sh\n');
    writeFileSync(
      `${tree}/DEBIAN/control`,
      'Package: tool-hermit\nVersion: 1.0-1\nArchitecture: all\nMaintainer: A Tester <tester@example.org>\nDepends: libc6 (>= 2.0), hermit-no-such-host-package (>= 1) | hermit-nor-this-one\nDescription: a tool\n',
    );
    expect((await runCli(['package', '--tree', tree, '--out', out])).exitCode).toBe(0);
    await writeRepository(out, { epoch: 1672531200 });
    const root = path.join(dir, 'root');
    const result = await runCli(['bootstrap', '--from', out, '--root', root]);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain(
      'error: bootstrap: the packages need hermit-no-such-host-package (>= 1) | hermit-nor-this-one, which this machine does not have: install it first (apt-get install hermit-no-such-host-package)',
    );
    expect(existsSync(path.join(root, 'opt'))).toBe(false);
  });
});
