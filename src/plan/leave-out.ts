import { continuersOf, kindsOf, readyKind, taskId, type Plan, type TaskKind } from './plan.js';
import { placeholdersUsed, recipeTemplates } from '../recipes/expand.js';
import type { Recipe } from '../recipes/schema.js';

/** Tasks that make a recipe's source tree. */
export const SOURCE_KINDS: ReadonlySet<TaskKind> = new Set(['fetch', 'unpack', 'patch']);

/** The task whose result is the recipe's final install image (what the cache stores), if any. */
export function imageTask(recipe: Recipe): 'install' | 'osabi' | undefined {
  const ready = readyKind(recipe);
  return ready === 'install' || ready === 'osabi' ? ready : undefined;
}

/** Recipes whose source trees other recipes read through `{src:OTHER}`: source -> readers. */
export function sourceReaders(recipes: readonly Recipe[]): Map<string, string[]> {
  const readers = new Map<string, string[]>();
  for (const recipe of recipes) {
    for (const used of placeholdersUsed(recipeTemplates(recipe))) {
      if (!used.startsWith('src:')) continue;
      const source = used.slice('src:'.length);
      readers.set(source, [...(readers.get(source) ?? []), recipe.name]);
    }
  }
  return readers;
}

/**
 * The tasks a build can leave out because their recipe's image is already there or in the cache
 * (`satisfied`): everything before the image task. A recipe keeps its source tasks while a
 * recipe that is not satisfied reads its tree through `{src:...}`, and all of them while a recipe
 * that is not satisfied continues its tree (`continues`). The package task is never
 * left out: it needs only the image. Pure.
 */
export function unneededTasks(plan: Plan, satisfied: ReadonlySet<string>): Set<string> {
  const readers = sourceReaders(plan.recipes);
  const unneeded = new Set<string>();
  for (const recipe of plan.recipes) {
    const image = imageTask(recipe);
    if (!image || !satisfied.has(recipe.name)) continue;
    const sourceRead = (readers.get(recipe.name) ?? []).some((reader) => !satisfied.has(reader));
    // A recipe that continues this one's tree and must build needs the whole tree made.
    const treeContinued = continuersOf(plan.recipes, recipe.name).some((continuer) => !satisfied.has(continuer.name));
    const kinds = kindsOf(recipe);
    for (const kind of kinds.slice(0, kinds.indexOf(image))) {
      if (treeContinued) continue;
      if (sourceRead && SOURCE_KINDS.has(kind)) continue;
      unneeded.add(taskId(recipe.name, kind));
    }
  }
  return unneeded;
}
