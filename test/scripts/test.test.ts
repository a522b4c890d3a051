import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO } from '../support/cli.js';
import { runOnFakeHost } from '../support/fake-host.js';

/** The indented command under "Run the tests" in the README. */
function readmeTestCommand(): string | undefined {
  const readme = readFileSync(path.join(REPO, 'README.md'), 'utf8');
  return /^Run the tests[^\n]*\n\n {4}(\S[^\n]*)\n/m.exec(readme)?.[1];
}

describe('scripts/test.sh', () => {
  it('is the README test command, and CI runs exactly that command', () => {
    expect(readmeTestCommand()).toBe('scripts/test.sh');
    const ci = readFileSync(path.join(REPO, '.ci/run'), 'utf8').split('\n');
    expect(ci).toContain('scripts/test.sh');
  });

  it('without Node.js, root or sudo: one line saying what to install, and nothing run', async () => {
    const run = await runOnFakeHost('test.sh', [], { missing: [], uid: 1000, sudo: false });
    expect(run.exitCode).toBe(1);
    expect(run.stderr.split('\n')).toEqual([
      'test: Node.js here is missing and hermit-toolchain needs >= 20.19: install Node.js 20 or newer (Debian 13 ships one; elsewhere e.g. from nodejs.org), then run this again',
    ]);
    expect(run.calls).toEqual([]);
  });

  it('with test packages missing and no way to install them: install-deps names them, npm never runs', async () => {
    const run = await runOnFakeHost('test.sh', [], { missing: ['nginx', 'lintian', 'ccache', 'qemu-system-x86'], uid: 1000, sudo: false, node: true });
    expect(run.exitCode).toBe(1);
    expect(run.stderr.split('\n')).toEqual([
      'install-deps: missing Debian packages: lintian nginx ccache qemu-system-x86; not root and no sudo: as root, run: apt-get install -y --no-install-recommends lintian nginx ccache qemu-system-x86',
    ]);
    expect(run.calls).toEqual([]);
  });

  it('installs the missing packages through sudo, then runs npm ci and npm test with its arguments', async () => {
    const run = await runOnFakeHost('test.sh', ['test/ui'], { missing: ['nginx'], uid: 1000, sudo: true, node: true });
    expect(run.stderr).toBe('');
    expect(run.exitCode).toBe(0);
    expect(run.calls.filter((call) => !call.startsWith('apt-get'))).toEqual([
      'sudo apt-get update -qq',
      'sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nginx',
      'npm ci --no-audit --no-fund',
      'npm test -- test/ui',
    ]);
  });
});
