import { writeFileSync, readFileSync, readdirSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadToolchain, parseYamlFile } from '../../src/recipes/load.js';
import { recipeSchema } from '../../src/recipes/schema.js';
import { tempDir } from '../support/tmp.js';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

interface StoredFile {
  schema: string;
  entries: Record<string, Record<string, unknown>>;
}

/** A toolchain of one recipe `a` and a profile, loaded once so that its parse cache holds both. */
async function cachedToolchain() {
  const dir = await tempDir();
  mkdirSync(path.join(dir, 'recipes'));
  writeFileSync(path.join(dir, 'recipes/a.yaml'), 'name: a\nversion: "1"\nsummary: from the yaml\nlicense: MIT\nneeds: []\n');
  writeFileSync(path.join(dir, 'toolchain.yaml'), 'revision: "3"\n');
  const cacheFile = path.join(dir, 'work/state/recipes.json');
  await loadToolchain(dir, { parseCache: cacheFile });
  const read = (): StoredFile => JSON.parse(readFileSync(cacheFile, 'utf8')) as StoredFile;
  /** Rewrites the cached entry of the one file of this kind (`recipe` or `profile`). */
  const forge = (kind: string, change: (entry: Record<string, unknown>) => Record<string, unknown>): void => {
    const stored = read();
    const key = Object.keys(stored.entries).find((k) => k.startsWith(`${kind}:`) || k.startsWith(`${kind} `))!;
    stored.entries[key] = change(stored.entries[key]!);
    writeFileSync(cacheFile, JSON.stringify(stored));
  };
  return { dir, cacheFile, read, forge, load: () => loadToolchain(dir, { parseCache: cacheFile }) };
}

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

  it('serves an entry its schema accepts without parsing the YAML again', async () => {
    const t = await cachedToolchain();
    // Keyed by the text's hash, so this entry stands for the unchanged file.
    t.forge('recipe', (entry) => ({ ...entry, summary: 'from the cache' }));
    expect((await t.load()).recipes.get('a')!.summary).toBe('from the cache');
  });

  it('parses a recipe again from its YAML when its entry does not validate, and stores the new parse', async () => {
    const t = await cachedToolchain();
    for (const forged of [
      (entry: Record<string, unknown>) => ({ ...entry, summary: 42 }),
      (entry: Record<string, unknown>) => ({ ...entry, needs: 'binutils' }),
      (entry: Record<string, unknown>) => ({ ...entry, steps: [['rm', '-rf', '/']] }),
      (entry: Record<string, unknown>) => ({ ...entry, name: '../escape' }),
      () => ({}),
    ]) {
      t.forge('recipe', forged);
      const recipe = (await t.load()).recipes.get('a')!;
      expect(recipe).toMatchObject({ name: 'a', summary: 'from the yaml', needs: [] });
      expect(recipe).not.toHaveProperty('steps');
      const entry = Object.entries(t.read().entries).find(([key]) => key.startsWith('recipe:'))![1];
      expect(entry.summary).toBe('from the yaml');
    }
  });

  it('parses the profile again when its entry does not validate', async () => {
    const t = await cachedToolchain();
    t.forge('profile', (entry) => ({ ...entry, prefix: 'relative/path' }));
    expect((await t.load()).profile).toMatchObject({ revision: '3', prefix: '/opt/hermit' });
  });

  it('starts afresh from a cache file that is not one', async () => {
    const t = await cachedToolchain();
    const schema = JSON.stringify(t.read().schema);
    for (const text of ['not json', '[]', 'null', `{"schema": ${schema}, "entries": null}`, `{"schema": ${schema}, "entries": "a"}`]) {
      writeFileSync(t.cacheFile, text);
      expect((await t.load()).recipes.get('a')!.summary).toBe('from the yaml');
    }
  });

  // The cache checks what it stored against the schema that made it: a schema whose output is not
  // valid input (a transform) would turn every entry into a miss.
  it('accepts what the recipe schema makes of each recipe of this repository', async () => {
    const dir = path.join(REPO, 'recipes');
    for (const name of readdirSync(dir).filter((f) => f.endsWith('.yaml'))) {
      const file = path.join(dir, name);
      const parsed = await parseYamlFile(file, readFileSync(file, 'utf8'), recipeSchema);
      expect(recipeSchema.parse(JSON.parse(JSON.stringify(parsed)))).toEqual(parsed);
    }
  });
});
