import { copyFileSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, summaryOf } from '../support/cli.js';
import { tempDir } from '../support/tmp.js';

/** A recipe without a source whose image holds one file, packaged as NAME-hermit. */
function packaged(name: string, step = 'true'): string {
  return `name: ${name}
version: "1"
summary: ${name}
license: MIT
build:
  - [sh, -c, "${step}"]
install:
  - [sh, -c, "mkdir -p {image}{prefix}/share && echo ${name} > {image}{prefix}/share/${name}"]
package:
  name: ${name}-hermit
`;
}

describe('build command', () => {
  it('leaves the apt index as it was when the build failed', async () => {
    const root = await tempDir();
    const recipes = path.join(root, 'toolchain/recipes');
    mkdirSync(recipes, { recursive: true });
    writeFileSync(path.join(recipes, 'good.yaml'), packaged('good'));
    writeFileSync(path.join(recipes, 'broken.yaml'), packaged('broken'));
    writeFileSync(path.join(recipes, 'meta.yaml'), 'name: meta\nversion: "1"\nsummary: all\nlicense: MIT\npackage:\n  name: meta-hermit\n  depends: [good-hermit, broken-hermit]\n');
    const out = path.join(root, 'work/out');
    const args = ['--toolchain', path.join(root, 'toolchain'), '--work', path.join(root, 'work'), '--cache', path.join(root, 'cache'), '--jobs', '2'];

    // A first build with nothing packaged yet fails: no index is written at all.
    writeFileSync(path.join(recipes, 'broken.yaml'), packaged('broken', 'false'));
    const first = await runCli([...args, 'build', '--keep-going']);
    expect(first.exitCode).toBe(1);
    expect(summaryOf(first.stdout)).toMatch(/failed 1/);
    expect(first.stdout).toContain(`index: left as it was in ${out} (1 task failed)`);
    expect(readdirSync(out).sort()).toEqual(['good-hermit_1-1_all.deb', 'meta-hermit_1-1_all.deb']);

    writeFileSync(path.join(recipes, 'broken.yaml'), packaged('broken'));
    const fixed = await runCli([...args, 'build']);
    expect(fixed.exitCode, fixed.stderr).toBe(0);
    expect(fixed.stdout).toContain(`index: 3 packages in ${out}`);
    const index = (): string => ['Packages', 'Packages.gz', 'Release'].map((name) => readFileSync(path.join(out, name)).toString('hex')).join('\n');
    const before = index();

    // A later failure keeps the index of the last build that worked.
    writeFileSync(path.join(recipes, 'good.yaml'), packaged('good', 'false'));
    writeFileSync(path.join(recipes, 'meta.yaml'), readFileSync(path.join(recipes, 'meta.yaml'), 'utf8').replace('version: "1"', 'version: "2"'));
    const again = await runCli([...args, 'build', '--keep-going']);
    expect(again.exitCode).toBe(1);
    expect(again.stdout).toContain(`index: left as it was in ${out} (1 task failed)`);
    expect(readdirSync(out)).toContain('meta-hermit_2-1_all.deb');
    expect(index()).toBe(before);
  }, 60_000);

  it('stops at the images with --no-package, and a rerun with nothing to package leaves the index alone', async () => {
    const root = await tempDir();
    const recipes = path.join(root, 'toolchain/recipes');
    mkdirSync(recipes, { recursive: true });
    writeFileSync(path.join(recipes, 'one.yaml'), packaged('one'));
    const work = path.join(root, 'work');
    const out = path.join(work, 'out');
    const args = ['--toolchain', path.join(root, 'toolchain'), '--work', work, '--cache', path.join(root, 'cache'), '--jobs', '2'];

    const unpackaged = await runCli([...args, 'build', '--no-package']);
    expect(unpackaged.exitCode, unpackaged.stderr).toBe(0);
    expect(readFileSync(path.join(work, 'image/one/opt/hermit/share/one'), 'utf8')).toBe('one\n');
    expect(() => readdirSync(out)).toThrow();
    expect(unpackaged.stdout).not.toContain('index:');

    const built = await runCli([...args, 'build']);
    expect(built.exitCode, built.stderr).toBe(0);
    expect(summaryOf(built.stdout)).toMatch(/ran 1 task/);
    expect(built.stdout).toContain(`index: 1 packages in ${out}`);

    const again = await runCli([...args, 'build']);
    expect(again.stdout).toContain(`index: up to date in ${out}`);
    // A .deb added by hand is listed by the next build.
    copyFileSync(path.join(out, 'one-hermit_1-1_all.deb'), path.join(out, 'copy.deb'));
    const changed = await runCli([...args, 'build']);
    expect(changed.exitCode).toBe(1);
    expect(changed.stderr).toMatch(/hold the same package/);
  }, 60_000);
});
