import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
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
});
