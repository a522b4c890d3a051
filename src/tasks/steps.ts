import { TaskError } from '../errors.js';
import { STAGED_KINDS, kindsOf, transitiveNeeds, treeOwner, type PlannedTask } from '../plan/plan.js';
import { placeholdersUsed, recipeTemplates } from '../recipes/expand.js';
import type { Step } from '../recipes/schema.js';
import { pinDisagreements } from '../sources/source.js';
import { StepFailure, appendLog, runStep, tailLines } from '../process/run.js';
import { buildStage } from '../workdir/stage.js';
import { expandRecipeSteps, perBuild, recipeOf, stepEnv, type BuildContext } from './context.js';

/** How many log lines a failure shows. */
export const TAIL_LINES = 20;

/**
 * Runs a recipe's steps of one kind in its build folder (made by the first step if missing, with
 * `folders`); a failing step names itself.
 */
export async function runSteps(ctx: BuildContext, task: PlannedTask, steps: readonly Step[], logFile: string, signal: AbortSignal, folders: readonly string[] = []): Promise<void> {
  const recipe = recipeOf(ctx, task);
  const expanded = expandRecipeSteps(ctx, recipe, task.kind, steps);
  const own = { ...stepEnv(ctx, recipe), ...expanded.env };
  const env = ctx.compilers ? await ctx.compilers.environment(recipe.name, own) : own;
  const cwd = ctx.layout.obj(treeOwner(recipe));
  const group = ctx.steps?.recorder(task.id);
  for (const [index, argv] of expanded.argvs.entries()) {
    try {
      await runStep(argv, { cwd, folders, env, logFile, jobserver: ctx.jobserver, signal, group });
    } catch (error) {
      if (!(error instanceof StepFailure)) throw error;
      throw new TaskError(recipe.name, task.kind, `step ${index + 1} ${error.message}`, {
        logPath: logFile,
        details: await tailLines(logFile, TAIL_LINES),
        cause: error,
      });
    }
  }
}

/** The images found empty while staging, by build (see buildStage). */
const emptyImages = new WeakMap<BuildContext, Set<string>>();

/**
 * The first task that runs steps assembles the stage from the images of the recipe's needs, and
 * says so when a source tree it uses through `{src:OTHER}` is pinned differently from the
 * submodule its own repository records for it.
 */
export async function stageIfFirst(ctx: BuildContext, task: PlannedTask, logFile: string): Promise<void> {
  const recipe = recipeOf(ctx, task);
  if (kindsOf(recipe).find((k) => STAGED_KINDS.has(k)) !== task.kind) return;
  const images = transitiveNeeds(ctx.toolchain.recipes, recipe.name).map((need) => ctx.layout.image(need.name));
  await buildStage(ctx.layout.stage(treeOwner(recipe)), images, perBuild(emptyImages, ctx, () => new Set()));
  const others = placeholdersUsed(recipeTemplates(recipe)).filter((p) => p.startsWith('src:'));
  for (const other of others) {
    for (const line of await pinDisagreements(ctx.sources, recipe, ctx.toolchain.recipes.get(other.slice(4))!)) {
      await appendLog(logFile, `warning: ${line}`);
      ctx.warn?.(task, line);
    }
  }
}
