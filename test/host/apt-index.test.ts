import { describe, expect, it } from 'vitest';
import { defaultSelection, installSet, parsePackagesIndex } from '../../src/host/apt-index.js';

const stanza = (name: string, version: string, depends?: string): string =>
  `Package: ${name}\nVersion: ${version}\nArchitecture: all\n${depends ? `Depends: ${depends}\n` : ''}Filename: ./${name}_${version}_all.deb\nSize: 100\nSHA256: ${'e'.repeat(64)}\nDescription: ${name}\n multi-line\n`;

const INDEX = [
  stanza('binutils-hermit', '2.40-1', 'libc6 (>= 2.34), zlib1g (>= 1:1.1.4)'),
  stanza('gcc-hermit', '12.2.0-1', 'binutils-hermit (= 2.40-1), newlib-hermit (= 3.3.0-1), libgmp10 | libgmp-dev'),
  stanza('newlib-hermit', '3.3.0-1'),
  stanza('newlib-hermit', '3.2.0-1'),
  stanza('hermit-toolchain', '1-1', 'gcc-hermit (= 12.2.0-1)'),
  stanza('extra-hermit', '1-1'),
].join('\n');

describe('apt repository index', () => {
  it('keeps the newest version of each package, in name order', () => {
    const packages = parsePackagesIndex(INDEX, 'Packages');
    expect(packages.map((p) => `${p.name} ${p.version}`)).toEqual(['binutils-hermit 2.40-1', 'extra-hermit 1-1', 'gcc-hermit 12.2.0-1', 'hermit-toolchain 1-1', 'newlib-hermit 3.3.0-1']);
    expect(packages[0]).toMatchObject({ filename: './binutils-hermit_2.40-1_all.deb', size: 100, sha256: 'e'.repeat(64) });
    expect(() => parsePackagesIndex('Package: x\nVersion: 1\n', 'Packages')).toThrow(/Packages: a stanza has no Architecture field/);
  });

  it('chooses the meta package when there is one, else everything', () => {
    expect(defaultSelection(['b', 'hermit-toolchain', 'a'])).toEqual(['hermit-toolchain']);
    expect(defaultSelection(['b', 'a'])).toEqual(['a', 'b']);
  });

  it('closes the selection over its dependencies, needs first; the rest must come from the machine', () => {
    const set = installSet(parsePackagesIndex(INDEX, 'Packages'), ['hermit-toolchain']);
    expect(set.packages.map((p) => p.name)).toEqual(['binutils-hermit', 'newlib-hermit', 'gcc-hermit', 'hermit-toolchain']);
    expect(set.external.map((group) => group.map((r) => r.name).join('|'))).toEqual(['libc6', 'zlib1g', 'libgmp10|libgmp-dev']);
    // A version the repository cannot satisfy is left to the machine too (and dpkg or apt will judge it).
    const old = installSet(parsePackagesIndex(stanza('a', '1-1', 'b (>= 2)') + '\n' + stanza('b', '1-1'), 'P'), ['a']);
    expect(old.packages.map((p) => p.name)).toEqual(['a']);
    expect(old.external).toEqual([[{ name: 'b', operator: '>=', version: '2' }]]);
    expect(() => installSet([], ['x'])).toThrow(/the repository has no package "x" \(it has none\)/);
  });
});
