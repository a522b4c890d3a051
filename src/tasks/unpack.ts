import { mkdir, rm, writeFile } from 'node:fs/promises';
import { TaskError, UserError, describeError } from '../errors.js';
import { kindsOf, type PlannedTask } from '../plan/plan.js';
import type { Recipe } from '../recipes/schema.js';
import { currentSourceLabel, placeSource, recordSourceLabel, recordedSourceLabel, type Artifact } from '../sources/source.js';
import { appendLog } from '../process/run.js';
import { recipeOf, type BuildContext } from './context.js';
import type { TaskKindModule } from './kind.js';
import { exists } from '../exists.js';
import { recordTree } from '../sources/tree-listing.js';

/**
 * Places a fresh source tree and marks it pristine (no patch has touched it yet). A failure (a
 * refused or broken archive, a source gone from the cache) is the task's: it names the recipe
 * and the task and points at the log, which says what was being unpacked.
 */
export async function unpackFresh(ctx: BuildContext, task: PlannedTask, logFile: string, signal?: AbortSignal): Promise<Artifact | undefined> {
  const recipe = recipeOf(ctx, task);
  try {
    const artifact = await placeSource(ctx.sources, recipe, ctx.layout.tree(recipe.name), (line) => void appendLog(logFile, line), signal);
    await writeFile(ctx.layout.pristine(recipe.name), '');
    return artifact;
  } catch (error) {
    if (error instanceof TaskError) throw error;
    // The source layer names the recipe in some of its messages; the task's prefix names it already.
    const message = describeError(error);
    const stripped = message.startsWith(`${recipe.name}: `) ? message.slice(recipe.name.length + 2) : message;
    // A write that failed for lack of room (ENOSPC) names no file: say which folder filled up.
    const { code, path: file } = error as NodeJS.ErrnoException;
    const problem = code !== undefined && file === undefined ? `${stripped} (unpacking into ${ctx.layout.src(recipe.name)})` : stripped;
    await appendLog(logFile, problem);
    throw new TaskError(recipe.name, task.kind, problem, { logPath: logFile, details: error instanceof UserError ? error.details : [], cause: error });
  }
}

/** Whether the source tree is there and made from the artifact a build would use now. */
export async function treePresent(ctx: BuildContext, recipe: Recipe): Promise<boolean> {
  return (await exists(ctx.layout.src(recipe.name))) && (await recordedSourceLabel(ctx.layout.tree(recipe.name))) === (await currentSourceLabel(ctx.sources, recipe));
}

/** Marks a source tree as made, for `--touch`: an empty tree labelled with today's source. */
export async function touchTree(ctx: BuildContext, recipe: Recipe): Promise<void> {
  await mkdir(ctx.layout.src(recipe.name), { recursive: true });
  await recordSourceLabel(ctx.sources, recipe, ctx.layout.tree(recipe.name));
}

/** unpack: the fetched source becomes the recipe's source tree. */
export const unpack: TaskKindModule = {
  kind: 'unpack',
  keyFields: (recipe, inputs) => ({ source: inputs.sourceIds.get(recipe.name) ?? null }),
  outputsPresent: (ctx, task) => treePresent(ctx, recipeOf(ctx, task)),
  async run(ctx, task, signal, logFile) {
    await unpackFresh(ctx, task, logFile, signal);
    // The record is of the tree as the steps get it: a recipe with patches has it made by its
    // patch task, so the tree (gcc's: 100k entries) is walked once.
    const recipe = recipeOf(ctx, task);
    const listing = ctx.layout.treeListing(recipe.name);
    if (kindsOf(recipe, ctx.sources.overrides.has(recipe.name)).includes('patch')) await rm(listing, { force: true });
    else await recordTree(ctx.layout.src(recipe.name), listing);
  },
  touch: (ctx, task) => touchTree(ctx, recipeOf(ctx, task)),
};
