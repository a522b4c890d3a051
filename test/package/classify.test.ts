import { describe, expect, it } from 'vitest';
import { ET_DYN, ET_EXEC, ET_REL, type ElfIdentity } from '../../src/formats/elf-dynamic.js';
import { insidePrefix, isHostBinary, isSharedLibraryName } from '../../src/package/classify.js';
import { lintianOverrides, licenseIdentifiers } from '../../src/package/docs.js';

const where = { prefix: 'opt/hermit', target: 'x86_64-hermit' };
const elf = (type: number, osabi = 0, machine = 62): ElfIdentity => ({ is64: true, littleEndian: true, type, osabi, machine });

describe('what a package holds', () => {
  it('tells host binaries from target code', () => {
    expect(isHostBinary('opt/hermit/bin/x86_64-hermit-gcc', elf(ET_DYN), where, 62)).toBe(true);
    expect(isHostBinary('opt/hermit/libexec/gcc/x86_64-hermit/12.2.0/cc1', elf(ET_EXEC, 3), where, 62)).toBe(true);
    expect(isHostBinary('opt/hermit/x86_64-hermit/bin/as', elf(ET_EXEC), where, 62)).toBe(true);
    // Objects, stamped target code, other machines, and anything in the target folders are not.
    expect(isHostBinary('opt/hermit/bin/x.o', elf(ET_REL), where, 62)).toBe(false);
    expect(isHostBinary('opt/hermit/bin/hello', elf(ET_EXEC, 255), where, 62)).toBe(false);
    expect(isHostBinary('opt/hermit/bin/tool', elf(ET_EXEC, 0, 183), where, 62)).toBe(false);
    expect(isHostBinary('opt/hermit/x86_64-hermit/lib/libfoo.so', elf(ET_DYN), where, 62)).toBe(false);
    expect(isHostBinary('opt/hermit/lib/gcc/x86_64-hermit/12.2.0/crtbegin.so', elf(ET_DYN), where, 62)).toBe(false);
  });

  it('knows what lies inside the prefix and what a shared library is called', () => {
    for (const inside of ['', 'opt', 'opt/hermit', 'opt/hermit/bin/gcc']) expect([inside, insidePrefix(inside, 'opt/hermit')]).toEqual([inside, true]);
    for (const outside of ['etc', 'opt/hermitage', 'opt/other/x', 'usr/share/doc']) expect([outside, insidePrefix(outside, 'opt/hermit')]).toEqual([outside, false]);
    expect(['libz.so', 'libz.so.1', 'libz.so.1.2.13', 'liblto_plugin.so'].every(isSharedLibraryName)).toBe(true);
    expect(['libz.a', 'so', 'x.so.conf', 'libz.so.1.py'].some(isSharedLibraryName)).toBe(false);
  });

  it('overrides only the lintian tags that apply', () => {
    expect(lintianOverrides({ packageName: 'meta', prefix: 'opt/hermit', usesPrefix: false, targetDirsWithCode: [] })).toBe('');
    expect(lintianOverrides({ packageName: 'p', prefix: 'usr/local/hermit', usesPrefix: true, targetDirsWithCode: [] })).toBe('');
    const text = lintianOverrides({ packageName: 'p', prefix: 'opt/hermit', usesPrefix: true, targetDirsWithCode: ['opt/hermit/x86_64-hermit/'] });
    expect(text.split('\n').filter((l) => l && !l.startsWith('#'))).toEqual([
      'p: dir-or-file-in-opt [opt/hermit/*]',
      'p: arch-independent-package-contains-binary-or-object [opt/hermit/x86_64-hermit/*]',
    ]);
    expect(licenseIdentifiers('GPL-3.0-or-later WITH GCC-exception-3.1 AND (MIT OR BSD-3-Clause)')).toEqual(['GPL-3.0-or-later', 'GCC-exception-3.1', 'MIT', 'BSD-3-Clause']);
  });
});
