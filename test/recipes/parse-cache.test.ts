import { writeFileSync, readFileSync, readdirSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadToolchain, parseYamlFile } from '../../src/recipes/load.js';
import { formatEntries } from '../../src/recipes/parse-cache.js';
import { recipeSchema } from '../../src/recipes/schema.js';
import { tempDir } from '../support/tmp.js';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** The cache file's entries (after its first line, see formatEntries). */
function readStored(file: string): Record<string, Record<string, unknown>> {
  const text = readFileSync(file, 'utf8');
  return JSON.parse(text.slice(text.indexOf('\n') + 1)) as Record<string, Record<string, unknown>>;
}

/** A toolchain of one recipe `a` and a profile, loaded once so that its parse cache holds both. */
async function cachedToolchain() {
  const dir = await tempDir();
  mkdirSync(path.join(dir, 'recipes'));
  writeFileSync(path.join(dir, 'recipes/a.yaml'), 'name: a\nversion: "1"\nsummary: from the yaml\nlicense: MIT\nneeds: []\n');
  writeFileSync(path.join(dir, 'toolchain.yaml'), 'revision: "3"\n');
  const cacheFile = path.join(dir, 'cache/recipes/toolchain.json');
  await loadToolchain(dir, { parseCache: cacheFile });
  const read = () => readStored(cacheFile);
  /**
   * Rewrites the cached entry of the one file of this kind (`recipe` or `profile`): `sealed` as
   * this code writes a file (with the digest of what it holds), or edited behind its back.
   */
  const forge = (kind: string, change: (entry: Record<string, unknown>) => Record<string, unknown>, sealed: boolean): void => {
    const entries = read();
    const key = Object.keys(entries).find((k) => k.startsWith(`${kind}:`) || k.startsWith(`${kind} `))!;
    entries[key] = change(entries[key]!);
    const text = readFileSync(cacheFile, 'utf8');
    writeFileSync(cacheFile, sealed ? formatEntries(entries) : `${text.slice(0, text.indexOf('\n'))}\n${JSON.stringify(entries)}`);
  };
  return { dir, cacheFile, read, forge, load: () => loadToolchain(dir, { parseCache: cacheFile }) };
}

describe('the parsed-recipe cache', () => {
  it('serves unchanged recipes, re-validates edited ones, and forgets removed ones', async () => {
    const dir = await tempDir();
    mkdirSync(path.join(dir, 'recipes'));
    const cacheFile = path.join(dir, 'cache/recipes/toolchain.json');
    const write = (name: string, summary: string) =>
      writeFileSync(path.join(dir, 'recipes', `${name}.yaml`), `name: ${name}\nversion: "1"\nsummary: ${summary}\nlicense: MIT\n`);
    write('a', 'first');
    write('b', 'second');
    const first = await loadToolchain(dir, { parseCache: cacheFile });
    expect(first.recipes.get('a')!.summary).toBe('first');
    const recipeEntries = () => Object.keys(readStored(cacheFile)).filter((key) => key.startsWith('recipe:'));
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

  it('serves what it stored without parsing the YAML again', async () => {
    const t = await cachedToolchain();
    // Keyed by the text's hash, so this entry stands for the unchanged file.
    t.forge('recipe', (entry) => ({ ...entry, summary: 'from the cache' }), true);
    expect((await t.load()).recipes.get('a')!.summary).toBe('from the cache');
  });

  it('parses every file again from its YAML when the cache was changed behind its back, and stores the new parse', async () => {
    const t = await cachedToolchain();
    for (const forged of [
      (entry: Record<string, unknown>) => ({ ...entry, summary: 42 }),
      (entry: Record<string, unknown>) => ({ ...entry, needs: 'binutils' }),
      (entry: Record<string, unknown>) => ({ ...entry, steps: [['rm', '-rf', '/']] }),
      (entry: Record<string, unknown>) => ({ ...entry, name: '../escape' }),
      () => ({}),
    ]) {
      t.forge('recipe', forged, false);
      const recipe = (await t.load()).recipes.get('a')!;
      expect(recipe).toMatchObject({ name: 'a', summary: 'from the yaml', needs: [] });
      expect(recipe).not.toHaveProperty('steps');
      const entry = Object.entries(t.read()).find(([key]) => key.startsWith('recipe:'))![1];
      expect(entry.summary).toBe('from the yaml');
    }
    t.forge('profile', (entry) => ({ ...entry, prefix: 'relative/path' }), false);
    expect((await t.load()).profile).toMatchObject({ revision: '3', prefix: '/opt/hermit' });
  });

  it('starts afresh from a cache file that is not one, or one of other schemas', async () => {
    const t = await cachedToolchain();
    const text = readFileSync(t.cacheFile, 'utf8');
    const head = JSON.parse(text.slice(0, text.indexOf('\n'))) as { schema: string; digest: string };
    const body = text.slice(text.indexOf('\n') + 1);
    const otherSchema = `${JSON.stringify({ ...head, schema: 'another' })}\n${body}`;
    for (const bad of ['not json', '[]', 'null', '{}\n{}', `${JSON.stringify(head)}\n[]`, `${JSON.stringify(head)}\n${body.slice(0, -1)}`, otherSchema]) {
      writeFileSync(t.cacheFile, bad);
      expect((await t.load()).recipes.get('a')!.summary).toBe('from the yaml');
    }
  });

  // The cache serves what it stored as JSON: what a recipe schema makes must come back the same.
  it('keeps what the recipe schema makes of each recipe of this repository through JSON', async () => {
    const dir = path.join(REPO, 'recipes');
    for (const name of readdirSync(dir).filter((f) => f.endsWith('.yaml'))) {
      const file = path.join(dir, name);
      const parsed = await parseYamlFile(file, readFileSync(file, 'utf8'), recipeSchema);
      expect(JSON.parse(JSON.stringify(parsed))).toEqual(parsed);
    }
  });
});
