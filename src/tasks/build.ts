import { mkdir } from 'node:fs/promises';
import { expandRecipeSteps, recipeOf } from './context.js';
import { treeOwner } from '../plan/plan.js';
import { whereFields, type TaskKindModule } from './kind.js';
import { exists } from '../exists.js';
import { runSteps, stageIfFirst } from './steps.js';

/** build: the recipe's build steps, in the build folder configure made. */
export const build: TaskKindModule = {
  kind: 'build',
  check: (ctx, recipe) => void expandRecipeSteps(ctx, recipe, 'build', recipe.build),
  keyFields: (recipe, inputs) => ({ steps: recipe.build, ...whereFields(recipe, inputs) }),
  outputsPresent: (ctx, task) => exists(ctx.layout.obj(treeOwner(recipeOf(ctx, task)))),
  async run(ctx, task, signal, logFile) {
    await stageIfFirst(ctx, task, logFile);
    await runSteps(ctx, task, recipeOf(ctx, task).build, logFile, signal);
  },
  async touch(ctx, task) {
    await mkdir(ctx.layout.obj(treeOwner(recipeOf(ctx, task))), { recursive: true });
  },
};
