import { mkdir, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { TaskError } from '../errors.js';
import type { Jobserver } from '../graph/jobserver.js';
import { STAGED_KINDS, TASK_KINDS, kindsOf, transitiveNeeds, type PlannedTask, type TaskKind } from '../graph/plan.js';
import type { TaskState } from '../graph/state.js';
import { expandStep, type PlaceholderValues } from '../recipes/expand.js';
import type { Toolchain } from '../recipes/load.js';
import type { Recipe, Step } from '../recipes/schema.js';
import { downloadPath, fileNameOf } from '../sources/cache.js';
import { download } from '../sources/download.js';
import { PatchError, applyPatches, listPatches } from '../sources/patch.js';
import { unpackArchive } from '../sources/unpack.js';
import type { HostPackages } from '../package/shlibs.js';
import type { WorkLayout } from './layout.js';
import { packageOutputPresent, runPackageTask } from './package-task.js';
import { StepFailure, appendLog, runStep, tailLines } from './run.js';
import { buildStage } from './stage.js';

/** Everything a task needs to run, shared by all tasks of one build. */
export interface BuildContext {
  readonly toolchain: Toolchain;
  readonly layout: WorkLayout;
  readonly state: TaskState;
  readonly cacheDir: string;
  readonly jobs: number;
  readonly jobserver?: Jobserver | undefined;
  /** The environment steps start from (the orchestrator's, minus make's own variables). */
  readonly baseEnv: Readonly<Record<string, string>>;
  /** Where package tasks write .deb files (`--out`, default `<work>/out`). */
  readonly outDir: string;
  /** The host's package database, for shared-library dependencies (one per build, it caches). */
  readonly host?: HostPackages;
}

/** How many log lines a failure shows. */
const TAIL_LINES = 20;
/** Marks a source tree that no patch has touched since it was unpacked. */
const PRISTINE = '.pristine';

function recipeOf(ctx: BuildContext, task: PlannedTask): Recipe {
  return ctx.toolchain.recipes.get(task.recipe)!;
}

export function placeholderValues(ctx: BuildContext, recipe: Recipe): PlaceholderValues {
  const { profile } = ctx.toolchain;
  const stage = ctx.layout.stage(recipe.name);
  return {
    name: recipe.name,
    version: recipe.version,
    target: profile.target,
    prefix: profile.prefix,
    osabi: String(profile.osabiValue),
    jobs: String(ctx.jobs),
    src: ctx.layout.src(recipe.name),
    obj: ctx.layout.obj(recipe.name),
    image: ctx.layout.image(recipe.name),
    stage,
    sysroot: path.join(stage, profile.prefix, profile.target),
  };
}

/** The environment of a recipe's steps: the stage's tools first in PATH. */
export function stepEnv(ctx: BuildContext, recipe: Recipe): Record<string, string> {
  const stageBin = path.join(ctx.layout.stage(recipe.name), ctx.toolchain.profile.prefix, 'bin');
  return {
    ...ctx.baseEnv,
    PATH: [stageBin, ctx.baseEnv.PATH ?? '/usr/bin:/bin'].join(path.delimiter),
    SOURCE_DATE_EPOCH: String(ctx.toolchain.profile.sourceDateEpoch),
  };
}

export function expandSteps(ctx: BuildContext, recipe: Recipe, kind: TaskKind, steps: readonly Step[]): string[][] {
  const needs = new Set(transitiveNeeds(ctx.toolchain.recipes, recipe.name).map((r) => r.name));
  const values = placeholderValues(ctx, recipe);
  return steps.map((step, index) =>
    expandStep(step, {
      recipe: recipe.name,
      step: `${kind} step ${index + 1}`,
      values,
      sourceOf: (other) => (needs.has(other) ? ctx.layout.src(other) : undefined),
    }),
  );
}

async function exists(file: string): Promise<boolean> {
  return stat(file).then(
    () => true,
    () => false,
  );
}

/** Where a recipe's url source lands in the cache. */
export function cachedSource(ctx: BuildContext, recipe: Recipe): string {
  const source = recipe.source!;
  if (source.url === undefined || source.sha256 === undefined) {
    throw new TaskError(recipe.name, 'fetch', 'git sources are not supported yet');
  }
  return downloadPath(ctx.cacheDir, source.sha256, fileNameOf(source.url, source.file));
}

/** Whether what a task produced is still there (a stored key alone does not prove it). */
export async function outputsPresent(ctx: BuildContext, task: PlannedTask): Promise<boolean> {
  const recipe = recipeOf(ctx, task);
  switch (task.kind) {
    case 'fetch':
      return exists(cachedSource(ctx, recipe));
    case 'unpack':
    case 'patch':
      return exists(ctx.layout.src(task.recipe));
    case 'configure':
    case 'build':
      return exists(ctx.layout.obj(task.recipe));
    case 'install':
    case 'osabi':
      return exists(ctx.layout.image(task.recipe));
    case 'package':
      return packageOutputPresent(ctx, recipe);
  }
}

async function runSteps(ctx: BuildContext, task: PlannedTask, steps: readonly Step[], logFile: string, signal: AbortSignal): Promise<void> {
  const recipe = recipeOf(ctx, task);
  const argvs = expandSteps(ctx, recipe, task.kind, steps);
  const env = stepEnv(ctx, recipe);
  const cwd = ctx.layout.obj(recipe.name);
  await mkdir(cwd, { recursive: true });
  for (const [index, argv] of argvs.entries()) {
    try {
      await runStep(argv, { cwd, env, logFile, jobserver: ctx.jobserver, signal });
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

async function unpack(ctx: BuildContext, recipe: Recipe): Promise<void> {
  const src = ctx.layout.src(recipe.name);
  await unpackArchive(cachedSource(ctx, recipe), src);
  await writeFile(path.join(ctx.layout.stateDir(recipe.name), PRISTINE), '');
}

/** The first task that runs steps assembles the stage from the images of the recipe's needs. */
async function stageIfFirst(ctx: BuildContext, recipe: Recipe, kind: TaskKind): Promise<void> {
  if (kindsOf(recipe).find((k) => STAGED_KINDS.has(k)) !== kind) return;
  const images = transitiveNeeds(ctx.toolchain.recipes, recipe.name).map((need) => ctx.layout.image(need.name));
  await buildStage(ctx.layout.stage(recipe.name), images);
}

/**
 * Runs one task. Before it runs, the stored state of the later tasks of the same recipe is
 * forgotten: they work on what this task is about to replace (a fresh source tree, build folder
 * or image), so they must run again even if their keys did not change.
 */
export async function runTask(ctx: BuildContext, task: PlannedTask, signal: AbortSignal): Promise<void> {
  const recipe = recipeOf(ctx, task);
  const logFile = ctx.layout.log(recipe.name, task.kind);
  await mkdir(path.dirname(logFile), { recursive: true });
  await mkdir(ctx.layout.stateDir(recipe.name), { recursive: true });
  await writeFile(logFile, '');
  for (const later of TASK_KINDS.slice(TASK_KINDS.indexOf(task.kind) + 1)) await ctx.state.forget(recipe.name, later);
  const log = (line: string): Promise<void> => appendLog(logFile, line);

  switch (task.kind) {
    case 'fetch': {
      const source = recipe.source!;
      const urls = [source.url!, ...(source.mirrors ?? [])];
      const lines: string[] = [];
      try {
        const used = await download(urls, source.sha256!, cachedSource(ctx, recipe), { signal, log: (line) => lines.push(line) });
        lines.push(used === 'cached' ? 'already in the cache' : `used ${used}`);
      } catch (error) {
        throw new TaskError(recipe.name, 'fetch', error instanceof Error ? error.message : String(error), { logPath: logFile, cause: error });
      } finally {
        await log(lines.join('\n'));
      }
      return;
    }
    case 'unpack':
      await log(`unpacking ${cachedSource(ctx, recipe)} into ${ctx.layout.src(recipe.name)}`);
      await unpack(ctx, recipe);
      return;
    case 'patch': {
      const src = ctx.layout.src(recipe.name);
      const pristine = path.join(ctx.layout.stateDir(recipe.name), PRISTINE);
      // A changed patch set is applied to a fresh tree, never on top of the previous one.
      if (!(await exists(pristine))) {
        await log('the source tree was patched before: unpacking it afresh');
        await unpack(ctx, recipe);
      }
      await rm(pristine, { force: true });
      const patches = await listPatches(recipe.patchDir!);
      try {
        await applyPatches(src, patches, logFile, stepEnv(ctx, recipe));
      } catch (error) {
        // Never leave a half-patched tree: the next run unpacks again.
        await rm(src, { recursive: true, force: true });
        await ctx.state.forget(recipe.name, 'unpack');
        if (error instanceof PatchError) {
          throw new TaskError(recipe.name, 'patch', error.message, { logPath: logFile, details: error.details, cause: error });
        }
        throw error;
      }
      return;
    }
    case 'configure':
      // A new configuration starts from an empty build folder.
      await rm(ctx.layout.obj(recipe.name), { recursive: true, force: true });
      await stageIfFirst(ctx, recipe, task.kind);
      await runSteps(ctx, task, recipe.configure, logFile, signal);
      return;
    case 'build':
      await stageIfFirst(ctx, recipe, task.kind);
      await runSteps(ctx, task, recipe.build, logFile, signal);
      return;
    case 'install': {
      await stageIfFirst(ctx, recipe, task.kind);
      const image = ctx.layout.image(recipe.name);
      await rm(image, { recursive: true, force: true });
      await mkdir(image, { recursive: true });
      await runSteps(ctx, task, recipe.install, logFile, signal);
      return;
    }
    case 'package':
      await runPackageTask(ctx, recipe, logFile);
      return;
    case 'osabi':
      throw new TaskError(recipe.name, task.kind, 'not implemented yet');
  }
}
