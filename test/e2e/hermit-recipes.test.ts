import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, summaryOf } from '../support/cli.js';
import { makeHermitStandins } from '../support/hermit-standins.js';
import { tempDir } from '../support/tmp.js';

/** OS/ABI bytes of every member of an archive, as the system readelf reads them. */
function osabiOfMembers(archive: string): string[] {
  const out = execFileSync('readelf', ['-h', archive]).toString();
  return [...out.matchAll(/OS\/ABI:\s+(.*)/g)].map((m) => m[1]!.trim());
}

describe('the pthread-embedded, lwip and libhermit recipes (stand-in sources and compilers)', () => {
  it('build, install headers and libraries where the final gcc looks, stamp the kernel, and package', async () => {
    const root = await tempDir();
    const { toolchain, sources } = makeHermitStandins(root);
    const work = path.join(root, 'work');
    const args = ['--toolchain', toolchain, '--work', work, '--cache', path.join(root, 'cache'), '--jobs', '2'];
    const result = await runCli([...args, 'build', ...sources]);
    expect(result.stderr).toBe('');
    expect(result.exitCode).toBe(0);
    expect(summaryOf(result.stdout)).toMatch(/failed 0 .*source override: pthread-embedded; source override: lwip; source override: hermit-caves/);

    const sysroot = (recipe: string) => path.join(work, 'image', recipe, 'opt/hermit/x86_64-hermit');
    // pthread-embedded: the library and the headers the HermitCore packages installed (sched.h
    // stays newlib's: both packages shipping it would stop the index, see the package index).
    expect(readdirSync(path.join(sysroot('pthread-embedded'), 'include')).sort()).toEqual(['pte_types.h', 'pthread.h', 'semaphore.h']);
    expect(osabiOfMembers(path.join(sysroot('pthread-embedded'), 'lib/libpthread.a'))).toEqual(['<unknown: ff>', '<unknown: ff>']);

    // libhermit-bootstrap: libhermit.a with LwIP compiled in, the hermit headers, stamped 0xff.
    const bootstrapLib = path.join(sysroot('libhermit-bootstrap'), 'lib/libhermit.a');
    expect(execFileSync('ar', ['t', bootstrapLib]).toString().split('\n').filter(Boolean).sort()).toEqual(['kernel.c.obj', 'tcp.c.obj']);
    expect(new Set(osabiOfMembers(bootstrapLib))).toEqual(new Set(['<unknown: ff>']));
    expect(existsSync(path.join(sysroot('libhermit-bootstrap'), 'include/hermit/stddef.h'))).toBe(true);
    expect(existsSync(path.join(work, 'image/libhermit-bootstrap/opt/hermit/bin'))).toBe(false);

    // libhermit: the full build, in a tree with the lwip and hermit-caves trees as its submodule
    // folders, adds the proxy.
    expect(execFileSync(path.join(work, 'image/libhermit/opt/hermit/bin/proxy')).toString()).toBe('proxy stand-in\n');
    expect(readFileSync(path.join(work, 'obj/libhermit/source/caves/proxy.c'), 'utf8')).toContain('int main');
    expect(existsSync(path.join(work, 'obj/libhermit/source/lwip/src/core/tcp.c'))).toBe(true);

    // The final gcc's stage holds what its target-library link tests need.
    const gccStage = path.join(work, 'stage/gcc/opt/hermit/x86_64-hermit');
    for (const file of ['include/pthread.h', 'lib/libpthread.a', 'lib/libhermit.a', 'include/hermit/stddef.h', 'include/newlib.h']) {
      expect(existsSync(path.join(gccStage, file)), file).toBe(true);
    }

    // Packages: the meta package depends on the five, each at its exact version.
    const meta = path.join(work, 'out/hermit-toolchain_1.0-1_all.deb');
    expect(execFileSync('dpkg-deb', ['--field', meta, 'Depends']).toString().trim()).toBe(
      'binutils-hermit (= 2.40-1), gcc-hermit (= 12.2.0-1), newlib-hermit (= 3.3.0-1), pthread-embedded-hermit (= 1.2.2-1), libhermit (= 0.2.10-1)',
    );
    expect(existsSync(path.join(work, 'out/pthread-embedded-hermit_1.2.2-1_all.deb'))).toBe(true);
    expect(readdirSync(path.join(work, 'out')).some((f) => /^libhermit_0\.2\.10-1_amd64\.deb$/.test(f))).toBe(true);

    const again = await runCli([...args, 'build', ...sources]);
    expect(summaryOf(again.stdout)).toMatch(/ran 0 tasks/);
  });
});
