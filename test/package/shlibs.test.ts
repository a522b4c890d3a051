import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { readElfIdentity } from '../../src/formats/elf-dynamic.js';
import { HostPackages, parseDpkgSearch, parseLdconfigCache, pathCandidates } from '../../src/package/shlibs.js';

describe('shared-library dependencies', () => {
  it('parses ldconfig -p and dpkg -S output', () => {
    expect(
      parseLdconfigCache('1234 libs found in cache `/etc/ld.so.cache\'\n\tlibc.so.6 (libc6,x86-64, OS ABI: Linux 3.2.0) => /lib/x86_64-linux-gnu/libc.so.6\n\tlibc.so.6 (libc6) => /lib/i386-linux-gnu/libc.so.6\n'),
    ).toEqual([
      { soname: 'libc.so.6', path: '/lib/x86_64-linux-gnu/libc.so.6' },
      { soname: 'libc.so.6', path: '/lib/i386-linux-gnu/libc.so.6' },
    ]);
    expect(parseDpkgSearch('diversion by foo from: /lib/x\ndiversion by foo to: /lib/x.real\nlibc6:amd64, libc6-dbg:amd64: /lib/x\n')).toEqual(['libc6:amd64', 'libc6-dbg:amd64']);
    expect(pathCandidates('/usr/lib/x86_64-linux-gnu/libz.so.1', '/usr/lib/x86_64-linux-gnu/libz.so.1.2.13')).toEqual([
      '/usr/lib/x86_64-linux-gnu/libz.so.1',
      '/usr/lib/x86_64-linux-gnu/libz.so.1.2.13',
      '/lib/x86_64-linux-gnu/libz.so.1',
      '/lib/x86_64-linux-gnu/libz.so.1.2.13',
    ]);
  });

  it('maps sonames to the installed packages that ship them, as dpkg says', async () => {
    const host = new HostPackages();
    expect(await host.architecture()).toBe(execFileSync('dpkg', ['--print-architecture']).toString().trim());
    const self = readElfIdentity(readFileSync(process.execPath))!;
    const libc = await host.dependencyFor('libc.so.6', self);
    expect(libc).toEqual({ name: 'libc6', version: execFileSync('dpkg-query', ['-W', '-f=${Version}', 'libc6']).toString() });
    const libm = await host.findLibrary('libm.so.6', self);
    expect(execFileSync('dpkg', ['-S', libm!.replace(/^\/usr/, '')]).toString()).toMatch(/^libc6(:\w+)?: /);
    expect(await host.dependencyFor('libdoes-not-exist.so.9', self)).toBeUndefined();
  });
});
