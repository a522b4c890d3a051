import { describe, expect, it } from 'vitest';
import { computeKeys, type KeyInputs } from '../../src/plan/keys.js';
import { keyFieldsOf } from '../../src/tasks/index.js';
import { planBuild } from '../../src/plan/plan.js';
import type { Recipe } from '../../src/recipes/schema.js';
import { profile, recipe, recipesByName, urlSource } from '../support/recipes.js';

const base = {
  source: urlSource(),
  configure: [['{src}/configure', '--prefix={prefix}']],
  build: [['make']],
  install: [['make', 'DESTDIR={image}', 'install']],
};

function keysOf(recipes: Recipe[], overrides: Partial<KeyInputs> = {}): Map<string, string> {
  const byName = recipesByName(...recipes);
  const inputs: KeyInputs = {
    profile: profile(),
    recipes: byName,
    sourceIds: new Map(recipes.filter((r) => r.source).map((r) => [r.name, `sha256:${r.source!.sha256}`])),
    patches: new Map(recipes.filter((r) => r.patchDir).map((r) => [r.name, [{ name: '0001.patch', sha256: 'p1' }]])),
    ...overrides,
  };
  return computeKeys(planBuild({ recipes: byName }), inputs, keyFieldsOf);
}

/** Task ids whose key differs between two key maps. */
function changed(before: Map<string, string>, after: Map<string, string>): string[] {
  return [...after.keys()].filter((id) => before.get(id) !== after.get(id)).sort();
}

describe('task keys', () => {
  const lib = recipe('lib', base, '/p/lib');
  const app = recipe('app', { ...base, needs: ['lib'] });
  const before = keysOf([lib, app]);

  it('are stable: the same inputs give the same keys', () => {
    expect(keysOf([lib, app])).toEqual(before);
    expect(new Set(before.values()).size).toBe(before.size);
  });

  it('a changed patch re-keys the patch task and everything downstream, nothing else', () => {
    const after = keysOf([lib, app], { patches: new Map([['lib', [{ name: '0001.patch', sha256: 'p2' }]]]) });
    expect(changed(before, after)).toEqual(['app:build', 'app:configure', 'app:install', 'lib:build', 'lib:configure', 'lib:install', 'lib:patch']);
  });

  it('a changed build step re-keys that task and what follows', () => {
    const after = keysOf([recipe('lib', { ...base, build: [['make', 'all']] }, '/p/lib'), app]);
    expect(changed(before, after)).toEqual(['app:build', 'app:configure', 'app:install', 'lib:build', 'lib:install']);
  });

  it('a recipe env re-keys its configure, build and install and what follows; an empty one changes nothing', () => {
    const withEnv = (env: Record<string, string>) => recipe('lib', { ...base, env }, '/p/lib');
    expect(keysOf([withEnv({}), app])).toEqual(before);
    const after = keysOf([withEnv({ CFLAGS: '-ffile-prefix-map={work}=/usr/src' }), app]);
    expect(changed(before, after)).toEqual(['app:build', 'app:configure', 'app:install', 'lib:build', 'lib:configure', 'lib:install']);
    expect(keysOf([withEnv({ CFLAGS: '-O1' }), app]).get('lib:configure')).not.toBe(after.get('lib:configure'));
  });

  it('a new source checksum re-keys everything of that recipe and its dependents', () => {
    const after = keysOf([recipe('lib', { ...base, source: { ...urlSource(), sha256: 'b'.repeat(64) } }, '/p/lib'), app]);
    expect(changed(before, after)).toHaveLength(9);
  });

  it('the profile prefix and OS/ABI re-key building, not downloading', () => {
    const prefix = keysOf([lib, app], { profile: profile({ prefix: '/usr/local/hermit' }) });
    expect(changed(before, prefix).some((id) => id.endsWith(':fetch') || id.endsWith(':unpack') || id.endsWith(':patch'))).toBe(false);
    expect(changed(before, prefix)).toContain('lib:configure');
    expect(changed(before, keysOf([lib, app], { profile: profile({ osabi: 'HermitCore' }) }))).toContain('lib:configure');
  });

  it('what must not matter does not: summary, tools, maintainer for unpackaged recipes, a mirror list', () => {
    const cosmetic = recipe('lib', { ...base, summary: 'reworded', tools: ['make'], source: { ...urlSource(), mirrors: ['https://mirror.example/x-1.0.tar.gz'] } }, '/p/lib');
    expect(keysOf([cosmetic, app], { profile: profile({ maintainer: 'Someone Else <x@y.z>', revision: '7' }) })).toEqual(before);
  });

  it('package keys follow the package metadata and the versions of packages depended on', () => {
    const packaged = (fields: Record<string, unknown>) => recipe('app', { ...base, needs: ['lib'], package: { name: 'app-pkg', depends: ['lib-pkg'] }, ...fields });
    const libPackaged = (version: string) => recipe('lib', { ...base, version, package: { name: 'lib-pkg' } }, '/p/lib');
    const one = keysOf([libPackaged('1.0'), packaged({})]);
    expect(changed(one, keysOf([libPackaged('1.0'), packaged({ summary: 'new words' })]))).toEqual(['app:package']);
    expect(changed(one, keysOf([libPackaged('1.0'), packaged({})], { profile: profile({ revision: '2' }) }))).toEqual(['app:package', 'lib:package']);
    expect(changed(one, keysOf([libPackaged('1.1'), packaged({})]))).toContain('app:package');
  });
});
