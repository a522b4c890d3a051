import { mkdir } from 'node:fs/promises';
import { expandRecipeSteps, recipeOf } from './context.js';
import { whereFields, type TaskKindModule } from './kind.js';
import { exists } from '../exists.js';
import { runSteps, stageIfFirst } from './steps.js';
import { removeIfThere } from '../folders.js';

/** install: the recipe's install steps, into an empty image. */
export const install: TaskKindModule = {
  kind: 'install',
  check: (ctx, recipe) => void expandRecipeSteps(ctx, recipe, 'install', recipe.install),
  keyFields: (recipe, inputs) => ({ steps: recipe.install, ...whereFields(recipe, inputs) }),
  outputsPresent: (ctx, task) => exists(ctx.layout.image(task.recipe)),
  async run(ctx, task, signal, logFile) {
    await stageIfFirst(ctx, task, logFile);
    // Into an empty image: the old one goes now, and the first step makes the new one.
    const image = ctx.layout.image(task.recipe);
    await removeIfThere(image);
    await runSteps(ctx, task, recipeOf(ctx, task).install, logFile, signal, [image]);
  },
  async touch(ctx, task) {
    await mkdir(ctx.layout.image(task.recipe), { recursive: true });
  },
};
