import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatSize } from '../../src/cache/size.js';
import { diskNeeds } from '../../src/host/disk.js';
import { runCli } from '../support/cli.js';
import { tempDir } from '../support/tmp.js';

function script(file: string, body: string): void {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, `#!/bin/sh\n${body}\n`);
  chmodSync(file, 0o755);
}

/** A command that answers --version like the real one. */
const versionStub = (dir: string, name: string, line: string): void => script(path.join(dir, name), `echo '${line}'`);

/**
 * A machine in a folder: stub commands on a PATH of their own, and a gcc that is the real one
 * limited to a private include folder, so the header checks see only the headers the test puts
 * there. apt-get is a stub too: "installing" a package puts its command or header in place.
 */
async function fakeMachine(root: string): Promise<{ bin: string; include: string; aptLog: string; toolchain: string }> {
  const bin = path.join(root, 'bin');
  const include = path.join(root, 'include');
  const aptLog = path.join(root, 'apt.log');
  versionStub(bin, 'make', 'GNU Make 4.3');
  versionStub(bin, 'cmake', 'cmake version 3.5.1');
  versionStub(bin, 'hexdump', 'hexdump from util-linux 2.38.1');
  versionStub(bin, 'xz', 'xz (XZ Utils) 5.4.1');
  versionStub(bin, 'patch', 'GNU patch 2.7.6');
  versionStub(bin, 'tar', 'tar (GNU tar) 1.34');
  versionStub(bin, 'find', 'find (GNU findutils) 4.9.0');
  versionStub(bin, 'cc', 'cc (Debian 12.2.0-14+deb12u1) 12.2.0');
  script(path.join(bin, 'gcc'), `exec /usr/bin/gcc -nostdinc -isystem '${include}' "$@"`);
  mkdirSync(path.join(include, 'isl'), { recursive: true });
  writeFileSync(path.join(include, 'gmp.h'), '#define __GNU_MP_VERSION 6\n#define __GNU_MP_VERSION_MINOR 2\n#define __GNU_MP_VERSION_PATCHLEVEL 1\n');
  writeFileSync(path.join(include, 'mpfr.h'), '#define MPFR_VERSION_STRING "2.4.2"\n');
  writeFileSync(path.join(include, 'isl/version.h'), 'const char *isl_version(void);\n');
  script(
    path.join(bin, 'apt-get'),
    [
      `echo "$*" >> '${aptLog}'`,
      '[ "$1" = install ] || exit 0',
      'for package in "$@"; do case $package in',
      `  cmake) printf '#!/bin/sh\\necho "cmake version 3.25.1"\\n' > '${bin}/cmake' ;;`,
      `  texinfo) printf '#!/bin/sh\\necho "texi2any (GNU texinfo) 6.8"\\n' > '${bin}/makeinfo'; /bin/chmod 755 '${bin}/makeinfo' ;;`,
      `  libmpfr-dev) echo '#define MPFR_VERSION_STRING "4.2.0"' > '${include}/mpfr.h' ;;`,
      `  libmpc-dev) echo '#define MPC_VERSION_STRING "1.3.1"' > '${include}/mpc.h' ;;`,
      'esac; done',
    ].join('\n'),
  );
  const toolchain = path.join(root, 'toolchain');
  mkdirSync(path.join(toolchain, 'recipes'), { recursive: true });
  mkdirSync(path.join(toolchain, 'patches/gcc'), { recursive: true });
  writeFileSync(
    path.join(toolchain, 'recipes/gcc-bootstrap.yaml'),
    `name: gcc-bootstrap
version: "12.2.0"
summary: the first gcc
license: GPL-3.0-or-later
source:
  url: https://example.org/gcc-12.2.0.tar.xz
  sha256: ${'a'.repeat(64)}
patches: patches/gcc
tools: [make, makeinfo, cmake]
host:
  gcc-libraries: true
  disk: { work-mib: 3014, cache-mib: 81, basis: measured }
build:
  - [make, all-gcc]
`,
  );
  writeFileSync(path.join(toolchain, 'recipes/libhermit.yaml'), 'name: libhermit\nversion: "0.2.10"\nsummary: the kernel\nlicense: BSD-2-Clause\ntools: [cmake, hexdump]\n');
  return { bin, include, aptLog, toolchain };
}

const rowOf = (stdout: string, check: string): string[] => {
  const line = stdout.split('\n').find((l) => l.startsWith(`${check} `));
  if (!line) throw new Error(`no row "${check}" in:\n${stdout}`);
  return line.split(/ {2,}/);
};

describe('doctor', () => {
  it('--help lists the host commands', async () => {
    const help = await runCli(['--help']);
    for (const command of ['doctor', 'bootstrap', 'binfmt']) expect(help.stdout).toMatch(new RegExp(`^  ${command} `, 'm'));
    expect((await runCli(['bootstrap', '--help'])).stdout).toContain('--root <dir>');
  });

  it('prints a row per check with versions, minimums and packages, and fails on what is missing or too old', async () => {
    const root = await tempDir();
    const machine = await fakeMachine(root);
    const args = ['--toolchain', machine.toolchain, '--work', path.join(root, 'work'), '--cache', path.join(root, 'cache'), '-j', '1', 'doctor'];
    const result = await runCli(args, { PATH: machine.bin });
    expect(result.exitCode, result.stderr).toBe(1);
    const { stdout } = result;
    expect(stdout.split('\n')[0]).toMatch(/^CHECK +STATUS +FOUND +WANTED +DEBIAN PACKAGE +NEEDED BY$/);
    expect(rowOf(stdout, 'command cmake')).toEqual(['command cmake', 'too old', '3.5.1', '>= 3.7', 'cmake', 'gcc-bootstrap, libhermit']);
    expect(rowOf(stdout, 'command makeinfo')).toEqual(['command makeinfo', 'missing', 'not on PATH', '>= 4.7', 'texinfo', 'gcc-bootstrap']);
    expect(rowOf(stdout, 'command make')).toEqual(['command make', 'ok', '4.3', '>= 4.2', 'make', 'gcc-bootstrap']);
    expect(rowOf(stdout, 'command hexdump')).toEqual(['command hexdump', 'ok', '2.38.1', 'any', 'bsdextrautils', 'libhermit']);
    // Implied by the recipe: its patches need patch, its .tar.xz tar, find and xz, its steps the
    // C compiler that builds the step spawner.
    expect(rowOf(stdout, 'command find')).toEqual(['command find', 'ok', '4.9.0', 'any', 'findutils', 'gcc-bootstrap']);
    expect(stdout).not.toMatch(/^command mkfifo /m);
    expect(rowOf(stdout, 'command cc')).toEqual(['command cc', 'ok', '12.2.0', 'any', 'gcc', 'gcc-bootstrap']);
    expect(rowOf(stdout, 'command patch')).toEqual(['command patch', 'ok', '2.7.6', 'any', 'patch', 'gcc-bootstrap']);
    expect(rowOf(stdout, 'command tar')).toEqual(['command tar', 'ok', '1.34', 'any', 'tar', 'gcc-bootstrap']);
    expect(rowOf(stdout, 'command xz')).toEqual(['command xz', 'ok', '5.4.1', 'any', 'xz-utils', 'gcc-bootstrap']);
    expect(rowOf(stdout, 'header gmp.h')).toEqual(['header gmp.h', 'ok', '6.2.1', '>= 4.3.2', 'libgmp-dev', 'gcc-bootstrap']);
    expect(rowOf(stdout, 'header mpfr.h')).toEqual(['header mpfr.h', 'too old', '2.4.2', '>= 3.1.0', 'libmpfr-dev', 'gcc-bootstrap']);
    expect(rowOf(stdout, 'header mpc.h')).toEqual(['header mpc.h', 'missing', 'not found by gcc', '>= 1.0.1', 'libmpc-dev', 'gcc-bootstrap']);
    expect(rowOf(stdout, 'header isl/version.h')).toEqual(['header isl/version.h', 'ok', 'present', 'any', 'libisl-dev', 'gcc-bootstrap']);
    expect(rowOf(stdout, 'disk work+cache')[1]).toBe('ok');
    const needs = diskNeeds([{ host: { disk: { 'work-mib': 3014, 'cache-mib': 81, basis: 'measured' } } }, { host: undefined }]);
    expect(rowOf(stdout, 'disk work+cache')[3]).toBe(`>= ${formatSize((needs.workMiB + needs.cacheMiB) * 1024 * 1024, 'binary')}`);
    expect(rowOf(stdout, 'cores').slice(0, 2)).toEqual(['cores', 'ok']);
    expect(stdout).toContain('doctor: 4 of 16 checks failed: command cmake, command makeinfo, header mpfr.h, header mpc.h\n');
    expect(stdout).toContain('`hermit-toolchain doctor --fix` installs the missing packages');
  });

  it('--fix installs the missing packages with apt-get, checks again and then passes', async () => {
    const root = await tempDir();
    const machine = await fakeMachine(root);
    const args = ['--toolchain', machine.toolchain, '--work', path.join(root, 'work'), '--cache', path.join(root, 'cache'), '-j', '1', 'doctor', '--fix'];
    const result = await runCli(args, { PATH: machine.bin });
    expect(result.exitCode, result.stdout + result.stderr).toBe(0);
    expect(readFileSync(machine.aptLog, 'utf8')).toBe('update\ninstall -y cmake texinfo libmpfr-dev libmpc-dev\n');
    expect(result.stdout).toContain('+ apt-get install -y cmake texinfo libmpfr-dev libmpc-dev\n');
    expect(result.stdout).toContain('doctor --fix: checking again\n');
    expect(result.stdout.trimEnd().split('\n').at(-1)).toBe('doctor: all 16 checks passed');
    expect(rowOf(result.stdout.slice(result.stdout.indexOf('checking again')), 'command cmake').slice(1, 3)).toEqual(['ok', '3.25.1']);
    // Nothing left to do: no apt-get at all.
    const again = await runCli(args, { PATH: machine.bin });
    expect(again.exitCode).toBe(0);
    expect(readFileSync(machine.aptLog, 'utf8').split('\n').filter(Boolean)).toHaveLength(2);
  });

  it('asks for ccache when the profile wraps compilers in it', async () => {
    const root = await tempDir();
    const machine = await fakeMachine(root);
    writeFileSync(path.join(machine.toolchain, 'toolchain.yaml'), 'cache:\n  ccache: true\n');
    const result = await runCli(['--toolchain', machine.toolchain, '--work', path.join(root, 'w'), '--cache', path.join(root, 'c'), 'doctor'], { PATH: machine.bin });
    expect(rowOf(result.stdout, 'command ccache')).toEqual(['command ccache', 'missing', 'not on PATH', 'any', 'ccache', 'gcc-bootstrap, libhermit']);
  });

  it('a failing apt-get install is reported and doctor fails', async () => {
    const root = await tempDir();
    const machine = await fakeMachine(root);
    script(path.join(machine.bin, 'apt-get'), '[ "$1" = install ] && { echo "E: Unable to locate package" >&2; exit 100; }; exit 0');
    const result = await runCli(['--toolchain', machine.toolchain, '--work', path.join(root, 'w'), '--cache', path.join(root, 'c'), 'doctor', '--fix'], { PATH: machine.bin });
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toContain('doctor --fix: apt-get install -y cmake texinfo libmpfr-dev libmpc-dev failed with exit code 100');
  });
});
