import { describe, expect, it } from 'vitest';
import { PlanError } from '../../src/errors.js';
import { continuersOf, criticalPath, dependentsOf, orderRecipes, planBuild, treeOwner } from '../../src/plan/plan.js';
import { recipe, recipesByName, urlSource } from '../support/recipes.js';

const steps = { configure: [['./configure']], build: [['make']], install: [['make', 'install']] };

describe('planning', () => {
  it('expands a recipe to the tasks it needs, in order', () => {
    const recipes = recipesByName(recipe('a', { source: urlSource(), ...steps, package: { name: 'a-pkg' } }, '/p/a'));
    const plan = planBuild({ recipes });
    expect([...plan.tasks.values()].map((t) => [t.id, t.deps])).toEqual([
      ['a:fetch', []],
      ['a:unpack', ['a:fetch']],
      ['a:patch', ['a:unpack']],
      ['a:configure', ['a:patch']],
      ['a:build', ['a:configure']],
      ['a:install', ['a:build']],
      ['a:package', ['a:install']],
    ]);
  });

  it('skips the tasks a recipe has nothing for', () => {
    const meta = recipe('meta', { package: { name: 'meta' } });
    const sourceOnly = recipe('lwip', { source: urlSource() });
    const plan = planBuild({ recipes: recipesByName(meta, sourceOnly) });
    expect([...plan.tasks.keys()].sort()).toEqual(['lwip:fetch', 'lwip:unpack', 'meta:package']);
  });

  it('orders recipes by needs and waits for each need to be ready before staging', () => {
    const recipes = recipesByName(
      recipe('gcc', { source: urlSource('gcc.tar.xz'), needs: ['binutils', 'lwip'], ...steps }),
      recipe('binutils', { source: urlSource('b.tar.xz'), ...steps, osabi: ['lib/*.a'] }),
      recipe('lwip', { source: urlSource('l.zip') }),
    );
    const plan = planBuild({ recipes }, ['gcc']);
    expect(plan.recipes.map((r) => r.name)).toEqual(['binutils', 'lwip', 'gcc']);
    expect(plan.tasks.get('gcc:configure')!.deps).toEqual(['gcc:unpack', 'binutils:osabi', 'lwip:unpack']);
    // Downloads do not wait for anything.
    expect(plan.tasks.get('gcc:fetch')!.deps).toEqual([]);
  });

  it('builds only the selected recipes and what they need', () => {
    const recipes = recipesByName(recipe('a', steps), recipe('b', { ...steps, needs: ['a'] }), recipe('c', steps));
    expect(planBuild({ recipes }, ['b']).recipes.map((r) => r.name)).toEqual(['a', 'b']);
    expect(planBuild({ recipes }).recipes.map((r) => r.name)).toEqual(['a', 'b', 'c']);
  });

  it('prints a cycle', () => {
    const recipes = recipesByName(recipe('a', { needs: ['b'] }), recipe('b', { needs: ['c'] }), recipe('c', { needs: ['a'] }));
    expect(() => orderRecipes(recipes, ['a'])).toThrow(PlanError);
    expect(() => orderRecipes(recipes, ['a'])).toThrow('the needs of these recipes form a cycle: a -> b -> c -> a');
    const self = recipesByName(recipe('a', { needs: ['a'] }));
    expect(() => orderRecipes(self, ['a'])).toThrow('cycle: a -> a');
  });

  it('names both recipes when a need is missing', () => {
    const recipes = recipesByName(recipe('gcc', { needs: ['newlib'] }));
    expect(() => planBuild({ recipes })).toThrow(/recipe gcc needs "newlib", which does not exist \(\/toolchain\/recipes\/gcc\.yaml\)/);
    expect(() => planBuild({ recipes }, ['nope'])).toThrow(/no recipe named "nope"/);
  });

  it('finds dependents and prefers the critical path', () => {
    const recipes = recipesByName(recipe('a', steps), recipe('b', { ...steps, needs: ['a'] }), recipe('c', { build: [['make']] }));
    const plan = planBuild({ recipes });
    expect([...dependentsOf(plan, ['a:install'])].sort()).toEqual(['b:build', 'b:configure', 'b:install']);
    const priority = criticalPath(plan);
    expect(priority.get('a:configure')!).toBeGreaterThan(priority.get('c:build')!);
    expect(priority.get('a:configure')!).toBeGreaterThan(priority.get('b:configure')!);
  });
});

describe('a recipe that continues another one\'s tree', () => {
  const compilers = recipe('compilers', { source: urlSource('gcc.tar.gz'), ...steps, osabi: ['lib/*.a'] });
  const libc = recipe('libc', { source: urlSource('libc.tar.gz'), needs: ['compilers'], ...steps });
  const libraries = recipe('libraries', { continues: 'compilers', needs: ['compilers', 'libc'], build: [['make']], install: [['make', 'install']] });

  it('has no tree tasks of its own and waits for the continued build folder as well as its needs', () => {
    const plan = planBuild({ recipes: recipesByName(compilers, libc, libraries) });
    expect([...plan.tasks.values()].filter((t) => t.recipe === 'libraries').map((t) => [t.id, t.deps])).toEqual([
      ['libraries:build', ['compilers:osabi', 'libc:install', 'compilers:build']],
      ['libraries:install', ['libraries:build']],
    ]);
  });

  it('works in the continued recipe\'s source, build folder and stage', () => {
    expect(treeOwner(libraries)).toBe('compilers');
    expect(treeOwner(libc)).toBe('libc');
    expect(continuersOf([compilers, libc, libraries], 'compilers').map((r) => r.name)).toEqual(['libraries']);
  });
});
