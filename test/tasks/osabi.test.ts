import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { executeBuild, prepareBuild } from '../../src/engine/execute.js';
import { CounterBudget } from '../../src/process/budget.js';
import { loadToolchain } from '../../src/recipes/load.js';
import { hostElfFiles } from '../support/elf.js';
import { tempDir } from '../support/tmp.js';

/**
 * A toolchain of one recipe whose install copies host-made objects and an archive into its
 * image (and a symbolic link pointing out of it), with the given osabi globs.
 */
async function demoToolchain(globs: string[], extraInstall: string[][] = []) {
  const root = await tempDir();
  const fixtures = path.join(root, 'fixtures');
  mkdirSync(fixtures);
  const { objects } = hostElfFiles(fixtures);
  execFileSync('ar', ['rc', 'libdemo.a', ...objects.map((o) => path.basename(o))], { cwd: fixtures });
  const outside = path.join(fixtures, 'outside.o');
  writeFileSync(outside, readFileSync(objects[0]!));
  const dir = path.join(root, 'toolchain');
  mkdirSync(path.join(dir, 'recipes'), { recursive: true });
  writeFileSync(path.join(dir, 'toolchain.yaml'), 'osabi: HermitCore\n');
  const lib = '{image}{prefix}/{target}/lib';
  const install = [
    ['mkdir', '-p', lib],
    ['cp', path.join(fixtures, 'libdemo.a'), objects[0]!, `${lib}/`],
    ['ln', '-s', outside, `${lib}/linked.o`],
    ...extraInstall,
  ];
  writeFileSync(
    path.join(dir, 'recipes', 'demo.yaml'),
    [
      'name: demo',
      'version: "1.0"',
      'summary: a demo',
      'license: MIT',
      `install: ${JSON.stringify(install)}`,
      `osabi: ${JSON.stringify(globs)}`,
      '',
    ].join('\n'),
  );
  const work = path.join(root, 'work');
  const prepared = await prepareBuild({ toolchain: await loadToolchain(dir), workDir: work, cacheDir: path.join(root, 'cache'), jobs: 1 });
  const build = () => executeBuild(prepared, { budget: new CounterBudget(1) });
  const image = path.join(work, 'image', 'demo', 'opt/hermit/x86_64-hermit/lib');
  return { build, image, outside, fixtures, log: path.join(work, 'logs', 'demo', 'osabi.log') };
}

const readelfOsabi = (file: string): string[] =>
  [...execFileSync('readelf', ['-h', file]).toString().matchAll(/^\s*OS\/ABI:\s+(.+)$/gm)].map((m) => m[1]!.trim());

describe('the osabi task', () => {
  it('stamps the profile value on what the globs match inside the image, and logs it', async () => {
    const demo = await demoToolchain(['{prefix}/{target}/lib/*.a', '/opt/hermit/x86_64-hermit/lib/*.o']);
    const outsideBefore = readFileSync(demo.outside);
    const outcome = await demo.build();
    expect(outcome.errors).toEqual([]);
    expect(outcome.failed).toBe(0);
    expect(readelfOsabi(path.join(demo.image, 'libdemo.a'))).toEqual(['<unknown: 42>', '<unknown: 42>']);
    expect(readelfOsabi(path.join(demo.image, 'a.o'))).toEqual(['<unknown: 42>']);
    // The link pointing out of the image (matched by *.o) was neither followed nor changed.
    expect(readFileSync(demo.outside).equals(outsideBefore)).toBe(true);
    expect(readFileSync(demo.log, 'utf8').split('\n')).toEqual([
      'opt/hermit/x86_64-hermit/lib/a.o: 1 of 1 ELF header set to HermitCore (0x42)',
      'opt/hermit/x86_64-hermit/lib/libdemo.a: 2 of 2 ELF headers set to HermitCore (0x42)',
      '',
    ]);
    // The fixtures the install copied from are untouched (the image has copies).
    expect(readelfOsabi(path.join(demo.fixtures, 'libdemo.a'))).toEqual(['UNIX - System V', 'UNIX - System V']);
  });

  it('fails naming the recipe and the glob when a glob matches nothing', async () => {
    const demo = await demoToolchain(['{prefix}/{target}/lib/*.a', '{prefix}/{target}/lib/*.so']);
    const outcome = await demo.build();
    expect(outcome.failed).toBe(1);
    expect(String(outcome.errors[0]!.error)).toMatch(/demo: osabi: glob "\{prefix\}\/\{target\}\/lib\/\*\.so" matched no file in the image/);
  });

  it('fails, listing the files, when a matched file cannot be stamped', async () => {
    const demo = await demoToolchain(['{prefix}/{target}/lib/*'], [['sh', '-c', 'echo not an object > "$0/README"', '{image}{prefix}/{target}/lib']]);
    const outcome = await demo.build();
    expect(outcome.failed).toBe(1);
    const error = outcome.errors[0]!.error as { message: string; details: string[]; logPath: string };
    expect(error.message).toBe('demo: osabi: cannot set the OS/ABI of 1 file(s) in the image');
    expect(error.details).toEqual(['opt/hermit/x86_64-hermit/lib/README: neither an ELF file nor an ar archive']);
    expect(error.logPath).toBe(demo.log);
  });

  it('refuses globs that leave the image', async () => {
    const demo = await demoToolchain(['{prefix}/../../*.o']);
    const outcome = await demo.build();
    expect(String(outcome.errors[0]!.error)).toMatch(/glob "\{prefix\}\/\.\.\/\.\.\/\*\.o" leaves the image/);
  });
});
