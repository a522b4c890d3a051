import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { executeBuild, prepareBuild } from '../../src/engine/execute.js';
import { CounterBudget } from '../../src/process/budget.js';
import { loadToolchain } from '../../src/recipes/load.js';
import { WorkLayout } from '../../src/workdir/layout.js';
import { tempDir } from '../support/tmp.js';

async function toolchainWith(recipe: string): Promise<{ dir: string; work: string; cache: string }> {
  const root = await tempDir();
  const dir = path.join(root, 'toolchain');
  mkdirSync(path.join(dir, 'recipes'), { recursive: true });
  writeFileSync(path.join(dir, 'recipes/tool.yaml'), recipe);
  return { dir, work: path.join(root, 'work'), cache: path.join(root, 'cache') };
}

const header = 'name: tool\nversion: "1"\nsummary: s\nlicense: MIT\n';

describe('the steps of a recipe', () => {
  it('run with the recipe env, placeholders expanded, in every step kind', async () => {
    const { dir, work, cache } = await toolchainWith(
      `${header}env:\n  MAPPED: "-ffile-prefix-map={work}=/usr/src/x"\n  NAME: "{name}-{version}"\n` +
        'configure:\n  - [sh, -c, \'echo "$MAPPED" > configured\']\n' +
        'build:\n  - [sh, -c, \'echo "$NAME" > built\']\n' +
        'install:\n  - [sh, -c, \'echo "$MAPPED $NAME" > "{image}/installed"\']\n',
    );
    const prepared = await prepareBuild({ toolchain: await loadToolchain(dir), workDir: work, cacheDir: cache, jobs: 1 });
    const outcome = await executeBuild(prepared, { budget: new CounterBudget(1) });
    expect(outcome.failed).toBe(0);
    const layout = new WorkLayout(work);
    expect(readFileSync(path.join(layout.obj('tool'), 'configured'), 'utf8')).toBe(`-ffile-prefix-map=${layout.root}=/usr/src/x\n`);
    expect(readFileSync(path.join(layout.obj('tool'), 'built'), 'utf8')).toBe('tool-1\n');
    expect(readFileSync(path.join(layout.image('tool'), 'installed'), 'utf8')).toBe(`-ffile-prefix-map=${layout.root}=/usr/src/x tool-1\n`);
  });

  it('are refused before anything runs when the env names an unknown placeholder', async () => {
    const { dir, work, cache } = await toolchainWith(`${header}env:\n  CFLAGS: "-O2 {nowhere}"\nbuild:\n  - [sh, -c, 'touch ran']\n`);
    const attempt = async () => {
      const prepared = await prepareBuild({ toolchain: await loadToolchain(dir), workDir: work, cacheDir: cache, jobs: 1 });
      return executeBuild(prepared, { budget: new CounterBudget(1) });
    };
    await expect(attempt()).rejects.toThrow(/recipe tool, env CFLAGS: unknown placeholder \{nowhere\}/);
    expect(existsSync(path.join(new WorkLayout(work).obj('tool'), 'ran'))).toBe(false);
  });

  it('reject an env name that is not a variable name', async () => {
    const { dir } = await toolchainWith(`${header}env:\n  "C FLAGS": "-O2"\nbuild:\n  - ["true"]\n`);
    await expect(loadToolchain(dir)).rejects.toThrow(/tool\.yaml:6: env\.C FLAGS: must be a variable name/);
  });
});
