import { describe, expect, it } from 'vitest';
import { runOnFakeHost, type FakeHost } from '../support/fake-host.js';

const runInstallDeps = (host: FakeHost, args: readonly string[]) => runOnFakeHost('install-deps.sh', args, host);

describe('scripts/install-deps.sh', () => {
  it('with everything installed, says so and runs nothing', async () => {
    const run = await runInstallDeps({ missing: [], uid: 1000, sudo: false }, ['--test']);
    expect(run.exitCode).toBe(0);
    expect(run.stdout).toMatch(/^install-deps: all \d+ Debian packages are present$/);
    expect(run.calls).toEqual([]);
  });

  it('--check names what is missing in one line and installs nothing', async () => {
    const run = await runInstallDeps({ missing: ['nginx', 'lintian'], uid: 0, sudo: true }, ['--test', '--check']);
    expect(run.exitCode).toBe(1);
    expect(run.stderr.split('\n')).toEqual([
      'install-deps: missing Debian packages: lintian nginx; install them with scripts/install-deps.sh --test (or as root: apt-get install -y --no-install-recommends lintian nginx)',
    ]);
    expect(run.calls).toEqual([]);
  });

  it('the test packages are missing only with --test', async () => {
    const run = await runInstallDeps({ missing: ['nginx'], uid: 0, sudo: false }, ['--check']);
    expect(run.exitCode).toBe(0);
  });

  it('not root and no sudo: one line naming the packages and the command to run as root', async () => {
    const run = await runInstallDeps({ missing: ['nginx', 'ccache'], uid: 1000, sudo: false }, ['--test']);
    expect(run.exitCode).toBe(1);
    expect(run.stderr.split('\n')).toEqual([
      'install-deps: missing Debian packages: nginx ccache; not root and no sudo: as root, run: apt-get install -y --no-install-recommends nginx ccache',
    ]);
    expect(run.calls).toEqual([]);
  });

  it('not root: installs exactly the missing packages through sudo', async () => {
    const run = await runInstallDeps({ missing: ['nginx', 'qemu-system-x86'], uid: 1000, sudo: true }, ['--test']);
    expect(run.stderr).toBe('');
    expect(run.exitCode).toBe(0);
    expect(run.stdout).toBe('install-deps: installing nginx qemu-system-x86');
    expect(run.calls).toEqual([
      'sudo apt-get update -qq',
      'apt-get update -qq',
      'sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nginx qemu-system-x86',
      'apt-get install -y -qq --no-install-recommends nginx qemu-system-x86',
    ]);
  });

  it('root: runs apt-get itself; when it fails, the last line says what to run', async () => {
    const run = await runInstallDeps({ missing: ['lintian'], uid: 0, sudo: true, apt: 100 }, ['--test']);
    expect(run.exitCode).toBe(1);
    expect(run.calls).toEqual(['apt-get update -qq']);
    expect(run.stderr.split('\n')).toEqual([
      'install-deps: could not install the missing Debian packages: lintian; as root, run: apt-get update && apt-get install -y --no-install-recommends lintian',
    ]);
  });

  it('without apt: one line listing the Debian packages whose equivalents are needed', async () => {
    const run = await runInstallDeps({ missing: [], uid: 0, sudo: true, apt: 'none' }, ['--test']);
    expect(run.exitCode).toBe(1);
    expect(run.stderr).toMatch(/^install-deps: not a Debian\/Ubuntu machine \(no dpkg-query or apt-get\); install the equivalents of these Debian packages: build-essential .* nginx .*qemu-system-x86 diffoscope$/);
  });
});
