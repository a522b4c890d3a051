import { describe, expect, it } from 'vitest';
import { unneededTasks, sourceReaders } from '../../src/plan/leave-out.js';
import { planBuild } from '../../src/plan/plan.js';
import { recipe, recipesByName, urlSource } from '../support/recipes.js';

const steps = { configure: [['./configure']], build: [['make']], install: [['make', 'install']] };

describe('tasks a satisfied recipe does not need', () => {
  const lwip = recipe('lwip', { source: urlSource('lwip.tar.gz') });
  const kernel = recipe('kernel', { source: urlSource('k.tar.gz'), needs: ['lwip', 'gcc'], ...steps, build: [['make', 'LWIP={src:lwip}']] });
  const gcc = recipe('gcc', { source: urlSource('gcc.tar.gz'), ...steps, osabi: ['lib/*.a'], package: { name: 'gcc-hermit' } });
  const plan = planBuild({ recipes: recipesByName(lwip, gcc, kernel) });

  it('finds who reads whose source', () => {
    expect(sourceReaders(plan.recipes)).toEqual(new Map([['lwip', ['kernel']]]));
  });

  it('leaves out everything before the image task, but never the package task', () => {
    const unneeded = unneededTasks(plan, new Set(['gcc']));
    expect([...unneeded].sort()).toEqual(['gcc:build', 'gcc:configure', 'gcc:fetch', 'gcc:install', 'gcc:unpack']);
  });

  it('keeps the source tasks of a tree that a recipe still being built reads', () => {
    // lwip has no image task: it is never satisfied and never left out.
    expect([...unneededTasks(plan, new Set(['lwip', 'gcc']))].filter((id) => id.startsWith('lwip'))).toEqual([]);
    const withImage = recipe('lwip', { source: urlSource('lwip.tar.gz'), ...steps });
    const plan2 = planBuild({ recipes: recipesByName(withImage, gcc, kernel) });
    expect([...unneededTasks(plan2, new Set(['lwip']))].sort()).toEqual(['lwip:build', 'lwip:configure']);
    expect([...unneededTasks(plan2, new Set(['lwip', 'kernel']))]).toContain('lwip:fetch');
  });
});

describe('a recipe that continues another one\'s tree', () => {
  const compilers = recipe('compilers', { source: urlSource('gcc.tar.gz'), ...steps });
  const libc = recipe('libc', { source: urlSource('libc.tar.gz'), needs: ['compilers'], ...steps });
  const libraries = recipe('libraries', { continues: 'compilers', needs: ['compilers', 'libc'], build: [['make']], install: [['make', 'install']] });
  const plan = planBuild({ recipes: recipesByName(compilers, libc, libraries) });

  it('keeps every task of the continued recipe while the continuing one must build', () => {
    expect([...unneededTasks(plan, new Set(['compilers', 'libc']))].filter((id) => id.startsWith('compilers'))).toEqual([]);
  });

  it('leaves them out once the continuing recipe is satisfied too', () => {
    expect([...unneededTasks(plan, new Set(['compilers', 'libc', 'libraries']))].filter((id) => id.startsWith('compilers')).sort()).toEqual([
      'compilers:build',
      'compilers:configure',
      'compilers:fetch',
      'compilers:unpack',
    ]);
  });
});
