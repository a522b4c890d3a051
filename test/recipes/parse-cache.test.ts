import { writeFileSync, readFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadToolchain } from '../../src/recipes/load.js';
import { tempDir } from '../support/tmp.js';

describe('the parsed-recipe cache', () => {
  it('serves unchanged recipes, re-validates edited ones, and forgets removed ones', async () => {
    const dir = await tempDir();
    mkdirSync(path.join(dir, 'recipes'));
    const cacheFile = path.join(dir, 'work/state/recipes.json');
    const write = (name: string, summary: string) =>
      writeFileSync(path.join(dir, 'recipes', `${name}.yaml`), `name: ${name}\nversion: "1"\nsummary: ${summary}\nlicense: MIT\n`);
    write('a', 'first');
    write('b', 'second');
    const first = await loadToolchain(dir, { parseCache: cacheFile });
    expect(first.recipes.get('a')!.summary).toBe('first');
    const recipeEntries = () => Object.keys(JSON.parse(readFileSync(cacheFile, 'utf8')).entries).filter((key) => key.startsWith('recipe:'));
    expect(recipeEntries()).toHaveLength(2);

    write('a', 'edited');
    expect((await loadToolchain(dir, { parseCache: cacheFile })).recipes.get('a')!.summary).toBe('edited');

    // An invalid edit is reported even though an older version of the file was cached.
    writeFileSync(path.join(dir, 'recipes/b.yaml'), 'name: b\nversion: "1"\nsummary: s\nlicense: MIT\nbogus: 1\n');
    await expect(loadToolchain(dir, { parseCache: cacheFile })).rejects.toThrow(/b\.yaml:5: bogus: unknown key/);
    write('b', 'second');
    await loadToolchain(dir, { parseCache: cacheFile });
    expect(recipeEntries()).toHaveLength(2);
  });
});
