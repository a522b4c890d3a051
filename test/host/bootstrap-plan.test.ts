import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { installSet, parsePackagesIndex } from '../../src/host/apt-index.js';
import { describeAction, parseFrom, planBootstrap, profileScript, sourceLine } from '../../src/host/bootstrap-plan.js';

const INDEX = parsePackagesIndex(
  [
    'Package: binutils-hermit\nVersion: 2.40-1\nArchitecture: amd64\nDepends: libc6 (>= 2.34)\nFilename: ./binutils-hermit_2.40-1_amd64.deb\nSize: 10\nSHA256: ' + 'a'.repeat(64) + '\n',
    'Package: hermit-toolchain\nVersion: 1-1\nArchitecture: all\nDepends: binutils-hermit (= 2.40-1)\nFilename: ./hermit-toolchain_1-1_all.deb\n',
  ].join('\n'),
  'Packages',
);
const install = installSet(INDEX, ['hermit-toolchain']);

describe('bootstrap plan', () => {
  it('tells folders from URLs and writes the apt source line', () => {
    expect(parseFrom('https://cache.example.org/hermit/')).toEqual({ kind: 'url', url: 'https://cache.example.org/hermit' });
    expect(parseFrom('file:///srv/repo')).toEqual({ kind: 'dir', dir: '/srv/repo' });
    expect(parseFrom('/srv/repo')).toEqual({ kind: 'dir', dir: '/srv/repo' });
    expect(sourceLine({ kind: 'dir', dir: '/srv/repo' })).toBe('deb [trusted=yes] file:/srv/repo ./');
    expect(sourceLine({ kind: 'url', url: 'http://127.0.0.1:8080/repo' })).toBe('deb [trusted=yes] http://127.0.0.1:8080/repo ./');
  });

  it('on this machine: apt source, update of that list only, install, profile, verify, binfmt', () => {
    const actions = planBootstrap({ source: { kind: 'dir', dir: '/srv/repo' }, root: undefined, selection: ['hermit-toolchain'], install, prefix: '/opt/hermit', isRoot: true, binfmtDir: '/proc/sys/fs/binfmt_misc' });
    expect(actions.map(describeAction)).toEqual([
      'write /etc/apt/sources.list.d/hermit-toolchain.list (apt source): deb [trusted=yes] file:/srv/repo ./',
      'run apt-get update -o Dir::Etc::SourceList=/etc/apt/sources.list.d/hermit-toolchain.list -o Dir::Etc::SourceParts=- -o APT::Get::List-Cleanup=0  # read the repository index (this list only)',
      'run apt-get install -y hermit-toolchain  # install 2 packages',
      'write /etc/profile.d/hermit-toolchain.sh (puts /opt/hermit/bin on PATH)',
      'verify the installation (binutils-hermit, hermit-toolchain) under /',
      'register the HermitCore loader with binfmt_misc at /proc/sys/fs/binfmt_misc',
    ]);
  });

  it('under --root: dpkg into the root after recording the host packages, downloads for a URL', () => {
    const actions = planBootstrap({ source: { kind: 'url', url: 'http://127.0.0.1:9/repo' }, root: '/tmp/r', selection: ['hermit-toolchain'], install, prefix: '/opt/hermit', isRoot: false, binfmtDir: undefined });
    expect(actions.map(describeAction)).toEqual([
      'write /tmp/r/etc/apt/sources.list.d/hermit-toolchain.list (apt source): deb [trusted=yes] http://127.0.0.1:9/repo ./',
      'record in /tmp/r/var/lib/dpkg/status the packages this machine provides: libc6 (>= 2.34)',
      `download http://127.0.0.1:9/repo/binutils-hermit_2.40-1_amd64.deb -> /tmp/r/var/cache/apt/archives/binutils-hermit_2.40-1_amd64.deb (sha256 aaaaaaaaaaaa…)`,
      'download http://127.0.0.1:9/repo/hermit-toolchain_1-1_all.deb -> /tmp/r/var/cache/apt/archives/hermit-toolchain_1-1_all.deb',
      'run dpkg --root=/tmp/r --force-not-root --install /tmp/r/var/cache/apt/archives/binutils-hermit_2.40-1_amd64.deb /tmp/r/var/cache/apt/archives/hermit-toolchain_1-1_all.deb  # install 2 packages into /tmp/r',
      'write /tmp/r/etc/profile.d/hermit-toolchain.sh (puts /opt/hermit/bin on PATH)',
      'verify the installation (binutils-hermit, hermit-toolchain) under /tmp/r',
    ]);
  });

  it('the profile script appends the prefix to PATH once, in POSIX sh and bash', () => {
    const script = profileScript('/opt/hermit');
    // bash started with a socket on stdin (as node does) reads ~/.bashrc unless told not to.
    for (const shell of [['sh'], ['bash', '--norc']]) {
      const run = (path: string): string => execFileSync(shell[0]!, [...shell.slice(1), '-c', `${script}\n${script}\nprintf %s "$PATH"`], { env: { PATH: path } }).toString();
      expect(run('/usr/bin:/bin')).toBe('/usr/bin:/bin:/opt/hermit/bin');
      expect(run('/opt/hermit/bin:/usr/bin')).toBe('/opt/hermit/bin:/usr/bin');
    }
  });
});
