import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildRecipePackage } from '../../src/package/recipe-deb.js';
import { PackageError } from '../../src/package/errors.js';
import { ShlibdepsError, hostArchitecture, parseShlibdepsOutput, scratchControl, shlibDepends, shlibdepsArgv, shlibdepsMessages } from '../../src/package/shlibs.js';
import { profile, recipe } from '../support/recipes.js';
import { tempDir } from '../support/tmp.js';

describe('shared-library dependencies: what dpkg-shlibdeps is asked and what it says', () => {
  it('runs on the package build tree: -e for every binary, -l for the folders of shipped libraries, -x for the package itself', () => {
    expect(shlibdepsArgv('gcc-hermit', ['opt/hermit/bin/x86_64-hermit-gcc', 'opt/hermit/lib/libcc1.so.0.0.0', 'opt/hermit/libexec/gcc/x86_64-hermit/12/liblto_plugin.so', 'opt/hermit/lib/libcc1.so.0'])).toEqual([
      'dpkg-shlibdeps',
      '-O',
      '--ignore-missing-info',
      '-xgcc-hermit',
      '-l/opt/hermit/lib',
      '-l/opt/hermit/libexec/gcc/x86_64-hermit/12',
      '-edebian/gcc-hermit/opt/hermit/bin/x86_64-hermit-gcc',
      '-edebian/gcc-hermit/opt/hermit/lib/libcc1.so.0.0.0',
      '-edebian/gcc-hermit/opt/hermit/libexec/gcc/x86_64-hermit/12/liblto_plugin.so',
      '-edebian/gcc-hermit/opt/hermit/lib/libcc1.so.0',
    ]);
    expect(scratchControl('gcc-hermit')).toBe('Source: gcc-hermit\n\nPackage: gcc-hermit\nArchitecture: any\n');
  });

  it('reads shlibs:Depends from its output, groups in its order, alternatives kept', () => {
    expect(parseShlibdepsOutput('shlibs:Depends=libc6 (>= 2.34), libstdc++6 (>= 12), libgcc-s1 (>= 3.0) | libgcc1, zlib1g (>= 1:1.1.4)\n')).toEqual([
      'libc6 (>= 2.34)',
      'libstdc++6 (>= 12)',
      'libgcc-s1 (>= 3.0) | libgcc1',
      'zlib1g (>= 1:1.1.4)',
    ]);
    // Without a dependency it prints no line at all.
    expect(parseShlibdepsOutput('')).toEqual([]);
    expect(parseShlibdepsOutput('shlibs:Depends=\n')).toEqual([]);
    expect(() => parseShlibdepsOutput('shlibs:Depends=libc6 (~ 2)\n')).toThrow(/cannot read the relation/);
  });

  it('names the files in its messages as the package installs them', () => {
    const stderr =
      "dpkg-shlibdeps: error: cannot find library libgone.so.1 needed by debian/x-hermit/opt/hermit/bin/tool (ELF format: 'elf64-x86-64' abi: '0201003e00000000'; RPATH: '')\n" +
      'dpkg-shlibdeps: error: cannot continue due to the error above\n\n';
    expect(shlibdepsMessages(stderr, 'x-hermit')).toEqual([
      "error: cannot find library libgone.so.1 needed by /opt/hermit/bin/tool (ELF format: 'elf64-x86-64' abi: '0201003e00000000'; RPATH: '')",
      'error: cannot continue due to the error above',
    ]);
  });
});

/** A program calling gone() from `library` (after the source: the linker drops a library it needs nothing of yet). */
function linkedAgainst(dir: string, name: string, library: string): string {
  writeFileSync(path.join(dir, `${name}.c`), 'int gone(void);\nint main(void) { return gone(); }\n');
  execFileSync('gcc', ['-o', path.join(dir, name), path.join(dir, `${name}.c`), library], { stdio: 'pipe' });
  return path.join(dir, name);
}

/** dpkg's own answer, independent of our code: dpkg-shlibdeps on the files where they are, then dpkg-gencontrol. */
function debianDepends(files: readonly string[], own: string): string {
  const dir = path.join(execFileSync('mktemp', ['-d']).toString().trim());
  try {
    mkdirSync(path.join(dir, 'debian/oracle/DEBIAN'), { recursive: true });
    writeFileSync(path.join(dir, 'debian/control'), `Source: oracle\nMaintainer: A <a@example.org>\n\nPackage: oracle\nArchitecture: any\nDepends: ${own}, \${shlibs:Depends}\nDescription: x\n x\n`);
    writeFileSync(path.join(dir, 'debian/changelog'), 'oracle (1-1) unstable; urgency=low\n\n  * x\n\n -- A <a@example.org>  Mon, 01 Jan 2024 00:00:00 +0000\n');
    execFileSync('dpkg-shlibdeps', ['--ignore-missing-info', ...files.map((file) => `-e${file}`)], { cwd: dir, stdio: 'pipe' });
    const control = execFileSync('dpkg-gencontrol', ['-poracle', '-O'], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] }).toString();
    return /^Depends: (.*)$/m.exec(control)![1]!;
  } finally {
    execFileSync('rm', ['-rf', dir]);
  }
}

// Host binaries like the real binutils and gcc ones: dynamically linked against libc6, zlib,
// zstd, libbinutils, GMP, MPFR, MPC, ISL. They stand in for binutils-hermit's and gcc-hermit's.
const REAL = [
  ['/usr/bin/x86_64-linux-gnu-ld.bfd', 'bin/x86_64-hermit-ld.bfd'],
  ['/usr/bin/x86_64-linux-gnu-as', 'x86_64-hermit/bin/as'],
  ['/usr/bin/x86_64-linux-gnu-readelf', 'bin/x86_64-hermit-readelf'],
  ['/usr/bin/x86_64-linux-gnu-objdump', 'bin/x86_64-hermit-objdump'],
  ['/usr/lib/gcc/x86_64-linux-gnu/12/cc1', 'libexec/gcc/x86_64-hermit/12/cc1'],
  ['/usr/lib/gcc/x86_64-linux-gnu/12/liblto_plugin.so', 'libexec/gcc/x86_64-hermit/12/liblto_plugin.so'],
].filter(([from]) => existsSync(from!)) as Array<[string, string]>;

describe.skipIf(REAL.length < 2)('shared-library dependencies of real host binaries', () => {
  it('are the Depends dpkg-shlibdeps and dpkg-gencontrol give for the same files, merged with the recipe\'s own', async () => {
    const dir = await tempDir();
    const image = path.join(dir, 'image');
    for (const [from, to] of REAL) {
      mkdirSync(path.dirname(path.join(image, 'opt/hermit', to)), { recursive: true });
      copyFileSync(from, path.join(image, 'opt/hermit', to));
    }
    // Target code in the image is not dpkg-shlibdeps' business: a HermitCore program (stamped
    // Standalone) needing a library no host has would make it fail.
    writeFileSync(path.join(dir, 'gone.c'), 'int gone(void) { return 1; }\n');
    execFileSync('gcc', ['-shared', '-fPIC', '-Wl,-soname,libhermit-only.so.1', '-o', path.join(dir, 'libhermit-only.so.1'), path.join(dir, 'gone.c')]);
    const program = linkedAgainst(dir, 'hermit-program', path.join(dir, 'libhermit-only.so.1'));
    // One left unstamped in the target sysroot, where only target code lives.
    mkdirSync(path.join(image, 'opt/hermit/x86_64-hermit/lib'), { recursive: true });
    copyFileSync(program, path.join(image, 'opt/hermit/x86_64-hermit/lib/unstamped-target-program'));
    const stamped = readFileSync(program);
    stamped[7] = 255; // EI_OSABI: Standalone, as the osabi task stamps HermitCore code
    writeFileSync(program, stamped);
    copyFileSync(program, path.join(image, 'opt/hermit/bin/hermit-program'));

    const own = ['libc6', 'zlib1g (>= 1:1.2.0)', 'binutils-hermit'];
    const lines: string[] = [];
    const built = await buildRecipePackage({
      recipe: recipe('tools', { package: { name: 'tools-hermit', depends: own } }),
      profile: profile({ 'source-date-epoch': 1672531200, compression: 'none' }),
      own: new Map([['binutils-hermit', '2.40-1']]),
      imageDir: image,
      outDir: path.join(dir, 'out'),
      scratchDir: path.join(dir, 'scratch'),
      log: async (line) => void lines.push(line),
    });
    const ours = execFileSync('dpkg-deb', ['--field', built.file, 'Depends']).toString().trim();
    const debian = debianDepends(
      REAL.map(([from]) => from),
      'libc6, zlib1g (>= 1:1.2.0), binutils-hermit (= 2.40-1)',
    );
    console.log(`ours:   ${ours}\ndebian: ${debian}`);
    expect(ours).toBe(debian);
    // The oldest versions with the symbols used, not the installed ones.
    expect(ours).toMatch(/libc6 \(>= 2\.\d+\)/);
    expect(ours).not.toContain(execFileSync('dpkg-query', ['-W', '-f=${Version}', 'libc6']).toString());
    expect(lines.some((line) => line.startsWith('dpkg-shlibdeps: warning'))).toBe(false);
    expect(existsSync(path.join(dir, 'scratch'))).toBe(false);
  }, 120_000);

  it('fails as a package error naming the library and the binary as installed', async () => {
    const dir = await tempDir();
    const lib = path.join(dir, 'libgone.so.1');
    writeFileSync(path.join(dir, 'gone.c'), 'int gone(void) { return 1; }\n');
    execFileSync('gcc', ['-shared', '-fPIC', '-Wl,-soname,libgone.so.1', '-o', lib, path.join(dir, 'gone.c')]);
    const program = linkedAgainst(dir, 'tool', lib);
    const error = await shlibDepends({
      packageName: 'x-hermit',
      scratch: path.join(dir, 'scratch'),
      binaries: new Map([['opt/hermit/bin/tool', program]]),
      links: new Map(),
      log: async () => {},
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ShlibdepsError);
    expect(error).toBeInstanceOf(PackageError);
    const { message, details, cause } = error as ShlibdepsError;
    expect(message).toMatch(/^no shared-library dependencies for x-hermit: dpkg-shlibdeps exited with code \d+$/);
    expect(details[0]).toMatch(/^error: cannot find library libgone\.so\.1 needed by \/opt\/hermit\/bin\/tool /);
    expect(String(cause)).toMatch(/StepFailure: `dpkg-shlibdeps -O --ignore-missing-info -xx-hermit -edebian\/x-hermit\/opt\/hermit\/bin\/tool`/);
    expect(existsSync(path.join(dir, 'scratch'))).toBe(false);
  });

  it('asks dpkg for the host architecture once', async () => {
    expect(await hostArchitecture()).toBe(execFileSync('dpkg', ['--print-architecture']).toString().trim());
  });
});
