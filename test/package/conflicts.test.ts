import { execa } from 'execa';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { describeConflicts, findFileConflicts, type PackageFiles } from '../../src/package/conflicts.js';
import { parseStanza } from '../../src/package/control.js';
import { RepoError, writeRepository } from '../../src/package/repo.js';
import { packTree } from '../../src/package/tree-deb.js';
import { tempDir } from '../support/tmp.js';

const EPOCH = 1672531200;

const pkg = (control: string, files: string[]): PackageFiles => ({ stanza: parseStanza(`${control}\n`, 'test'), files });

describe('file conflicts between packages', () => {
  it('finds a path two packages install, and not one that versions of one package share', () => {
    const conflicts = findFileConflicts([
      pkg('Package: newlib-hermit\nVersion: 1', ['/opt/hermit/include/pthread.h', '/opt/hermit/include/stdio.h']),
      pkg('Package: newlib-hermit\nVersion: 2', ['/opt/hermit/include/stdio.h']),
      pkg('Package: pthread-embedded-hermit\nVersion: 1', ['/opt/hermit/include/pthread.h', '/opt/hermit/lib/libpthread.a']),
    ]);
    expect(conflicts).toEqual([{ path: '/opt/hermit/include/pthread.h', packages: ['newlib-hermit', 'pthread-embedded-hermit'] }]);
    expect(describeConflicts(conflicts)).toEqual(['newlib-hermit and pthread-embedded-hermit both install /opt/hermit/include/pthread.h']);
  });

  it('leaves alone a pair that settled it with Replaces or Conflicts', () => {
    const files = ['/opt/hermit/bin/tool'];
    expect(findFileConflicts([pkg('Package: a\nReplaces: b (<< 2)', files), pkg('Package: b', files)])).toEqual([]);
    expect(findFileConflicts([pkg('Package: a', files), pkg('Package: b\nConflicts: a', files)])).toEqual([]);
    // Names are read out of full relation syntax: versions, architecture qualifiers, alternatives.
    expect(findFileConflicts([pkg('Package: a\nReplaces: x (<< 1.0), b:any | c, d', files), pkg('Package: b', files)])).toEqual([]);
    expect(findFileConflicts([pkg('Package: a\nReplaces: x (<< 1.0), z | c, d', files), pkg('Package: b', files)])).toHaveLength(1);
    expect(() => findFileConflicts([pkg('Package: a\nReplaces: b (~ 2)', files), pkg('Package: b', files)])).toThrow(/a: Replaces: cannot read the relation "b \(~ 2\)"/);
  });

  it('shortens a long list of shared paths', () => {
    const files = ['/1', '/2', '/3', '/4', '/5'];
    expect(describeConflicts(findFileConflicts([pkg('Package: a', files), pkg('Package: b', files)]))).toEqual(['a and b both install /1, /2, /3 and 2 more']);
  });
});

/** A package of one file, with the md5sums dh_md5sums would write. */
async function packageWith(out: string, name: string, file: string): Promise<string> {
  const tree = path.join(await tempDir(), 'tree');
  mkdirSync(path.join(tree, 'DEBIAN'), { recursive: true });
  mkdirSync(path.dirname(path.join(tree, file)), { recursive: true });
  writeFileSync(path.join(tree, file), `${name}\n`);
  writeFileSync(path.join(tree, 'DEBIAN/control'), `Package: ${name}\nVersion: 1.0-1\nArchitecture: all\nMaintainer: A Tester <tester@example.org>\nDescription: test package ${name}\n`);
  const sum = (await execa('md5sum', [file.slice(1)], { cwd: tree })).stdout;
  writeFileSync(path.join(tree, 'DEBIAN/md5sums'), `${sum}\n`);
  return (await packTree(tree, out, { compression: 'gz', epoch: EPOCH })).file;
}

describe('repository index and file conflicts', () => {
  it('refuses to index packages that dpkg would refuse to install together, naming both and the file', async () => {
    const out = await tempDir();
    const a = await packageWith(out, 'newlib-hermit', '/opt/hermit/x86_64-hermit/include/pthread.h');
    const b = await packageWith(out, 'pthread-embedded-hermit', '/opt/hermit/x86_64-hermit/include/pthread.h');
    const error = await writeRepository(out, { epoch: EPOCH }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RepoError);
    expect((error as Error).message).toContain('newlib-hermit and pthread-embedded-hermit both install /opt/hermit/x86_64-hermit/include/pthread.h');

    // The oracle: dpkg itself refuses the second package.
    const root = await tempDir();
    for (const sub of ['var/lib/dpkg/info', 'var/lib/dpkg/updates']) mkdirSync(path.join(root, sub), { recursive: true });
    writeFileSync(path.join(root, 'var/lib/dpkg/status'), '');
    const dpkg = await execa('dpkg', [`--root=${root}`, '--force-not-root', '--force-script-chrootless', '--log=/dev/null', '-i', a, b], { reject: false, all: true });
    expect(dpkg.exitCode).not.toBe(0);
    expect(dpkg.all).toContain('trying to overwrite');
  });

  it('indexes packages whose files do not overlap', async () => {
    const out = await tempDir();
    await packageWith(out, 'newlib-hermit', '/opt/hermit/x86_64-hermit/include/stdio.h');
    await packageWith(out, 'pthread-embedded-hermit', '/opt/hermit/x86_64-hermit/include/pthread.h');
    const packages = await writeRepository(out, { epoch: EPOCH });
    expect(packages.map((p) => p.files)).toEqual([['/opt/hermit/x86_64-hermit/include/stdio.h'], ['/opt/hermit/x86_64-hermit/include/pthread.h']]);
  });
});
