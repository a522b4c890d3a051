import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { REPO } from '../support/cli.js';
import { writeDebFixture } from '../support/deb-fixture.js';
import { tempDir } from '../support/tmp.js';

async function repro(toolchain: string, work: string, cache: string) {
  return execa(path.join(REPO, 'scripts/repro.sh'), ['--toolchain', toolchain, '--work', work, '--cache', cache, '--jobs', '2'], { reject: false, all: true, env: { CI: '1' } });
}

describe('scripts/repro.sh', () => {
  it('builds the fixture twice, in two work directories with two umasks, into byte-identical .debs', async () => {
    const root = await tempDir();
    const toolchain = await writeDebFixture(path.join(root, 'toolchain'));
    const work = path.join(root, 'work');
    const run = await repro(toolchain, work, path.join(root, 'cache'));
    expect(run.exitCode, run.all).toBe(0);
    expect(run.stdout).toMatch(/^repro: all 3 packages are byte-identical/m);
    expect(run.stdout.match(/^ {2}same {5}\S+\.deb/gm)).toHaveLength(3);
    // The first build restores nothing but fills the artifact cache; the second does not use it.
    expect(readFileSync(path.join(work, 'first/build.log'), 'utf8')).toMatch(/^cache: 0 restored, [1-9]\d* stored, 0 misses$/m);
    expect(readFileSync(path.join(work, 'second/another/work.log'), 'utf8')).not.toMatch(/^cache:/m);
  }, 120_000);

  it('names the package that differs and shows diffoscope\'s account of it', async () => {
    const root = await tempDir();
    const toolchain = await writeDebFixture(path.join(root, 'toolchain'));
    // A file that records where it was built: the two work directories differ.
    writeFileSync(
      path.join(toolchain, 'recipes/where.yaml'),
      'name: where\nversion: "1"\nsummary: records its build folder\nlicense: MIT\ninstall:\n  - [sh, -c, "mkdir -p {image}{prefix}/share && echo built in {obj} > {image}{prefix}/share/where.txt"]\npackage:\n  name: where-hermit\n',
    );
    const work = path.join(root, 'work');
    const run = await repro(toolchain, work, path.join(root, 'cache'));
    expect(run.exitCode, run.all).toBe(1);
    expect(run.stdout).toMatch(/^ {2}DIFFERS {2}where-hermit_1-1_all\.deb$/m);
    expect(run.stderr).toMatch(/^repro: 1 of 4 packages differ: where-hermit_1-1_all\.deb/m);
    expect(existsSync('/usr/bin/diffoscope'), 'diffoscope (scripts/install-deps.sh --test)').toBe(true);
    const report = readFileSync(path.join(work, 'diffoscope.txt'), 'utf8');
    expect(report).toContain('where.txt');
    expect(report).toContain(`built in ${path.join(work, 'first/build/obj/where')}`);
  }, 120_000);
});
