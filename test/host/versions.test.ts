import { describe, expect, it } from 'vitest';
import { compareToolVersions, headerVersion, isAtLeast, parseMacros, parseToolVersion } from '../../src/host/versions.js';

describe('tool versions', () => {
  it('reads the version from real --version outputs (Debian 12)', () => {
    const outputs: Array<[string, string]> = [
      ['GNU Make 4.3\nBuilt for x86_64-pc-linux-gnu', '4.3'],
      ['gcc (Debian 12.2.0-14+deb12u1) 12.2.0\nCopyright (C) 2022', '12.2.0'],
      ['texi2any (GNU texinfo) 6.8\n', '6.8'],
      ['cmake version 3.25.1\n\nCMake suite maintained and supported by Kitware', '3.25.1'],
      ['NASM version 2.16.01 compiled on May 12 2023', '2.16.01'],
      ["Debian 'dpkg-deb' package archive backend version 1.21.22 (amd64).", '1.21.22'],
      ['This is perl 5, version 36, subversion 0 (v5.36.0) built for x86_64-linux-gnu-thread-multi', '5.36.0'],
      ['*** Zstandard CLI (64-bit) v1.5.4, by Yann Collet ***', '1.5.4'],
      ['bzip2, a block-sorting file compressor.  Version 1.0.8, 13-Jul-2019.', '1.0.8'],
      ['hexdump from util-linux 2.38.1', '2.38.1'],
      ['usage: tool [options]\nversion 2.1', '2.1'],
    ];
    for (const [output, version] of outputs) expect([output, parseToolVersion(output)]).toEqual([output, version]);
    expect(parseToolVersion('no version here\n')).toBeUndefined();
    expect(parseToolVersion('')).toBeUndefined();
  });

  it('compares dotted versions numerically, missing parts as zero, suffixes ignored', () => {
    expect(compareToolVersions('3.5.1', '3.7')).toBeLessThan(0);
    expect(compareToolVersions('3.10', '3.7')).toBeGreaterThan(0);
    expect(compareToolVersions('3.7', '3.7.0')).toBe(0);
    expect(compareToolVersions('2.16.01', '2.16.1')).toBe(0);
    expect(compareToolVersions('4.2-rc1', '4.2')).toBe(0);
    expect(isAtLeast('3.25.1', '3.7')).toBe(true);
    expect(isAtLeast('3.6.99', '3.7')).toBe(false);
    expect(() => compareToolVersions('x', '1')).toThrow(/not a dotted version/);
  });

  it('reads library versions from the preprocessor macros of their headers', () => {
    const macros = parseMacros(
      '#define __GNU_MP_VERSION 6\n#define __GNU_MP_VERSION_MINOR 2\n#define __GNU_MP_VERSION_PATCHLEVEL 1\n#define MPFR_VERSION_STRING "4.2.0"\n#define MPC_VERSION_STRING "1.3.1"\n#define ISL_VERSION_H \n',
    );
    expect(headerVersion('gmp.h', macros)).toBe('6.2.1');
    expect(headerVersion('mpfr.h', macros)).toBe('4.2.0');
    expect(headerVersion('mpc.h', macros)).toBe('1.3.1');
    expect(headerVersion('isl/version.h', macros)).toBeUndefined();
    expect(headerVersion('gmp.h', parseMacros('#define __GNU_MP_VERSION 6\n'))).toBeUndefined();
  });
});
