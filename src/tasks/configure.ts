import { mkdir, rm } from 'node:fs/promises';
import { expandRecipeSteps, recipeOf } from './context.js';
import { whereFields, type TaskKindModule } from './kind.js';
import { exists } from '../exists.js';
import { runSteps, stageIfFirst } from './steps.js';

/** configure: the recipe's configure steps, in an empty build folder. */
export const configure: TaskKindModule = {
  kind: 'configure',
  check: (ctx, recipe) => void expandRecipeSteps(ctx, recipe, 'configure', recipe.configure),
  keyFields: (recipe, inputs) => ({ steps: recipe.configure, needs: recipe.needs, ...whereFields(recipe, inputs) }),
  outputsPresent: (ctx, task) => exists(ctx.layout.obj(task.recipe)),
  async run(ctx, task, signal, logFile) {
    // A new configuration starts from an empty build folder.
    await rm(ctx.layout.obj(task.recipe), { recursive: true, force: true });
    await stageIfFirst(ctx, task, logFile);
    await runSteps(ctx, task, recipeOf(ctx, task).configure, logFile, signal);
  },
  async touch(ctx, task) {
    await mkdir(ctx.layout.obj(task.recipe), { recursive: true });
  },
};
