import { mkdirSync, statSync, truncateSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { KeyInputs } from '../plan/keys.js';
import { treeOwner, type PlannedTask, type TaskKind } from '../plan/plan.js';
import type { Recipe } from '../recipes/schema.js';
import { build } from './build.js';
import { configure } from './configure.js';
import type { BuildContext } from './context.js';
import { fetch } from './fetch.js';
import { install } from './install.js';
import type { TaskKindModule } from './kind.js';
import { osabi } from './osabi.js';
import { packageKind } from './package.js';
import { patch } from './patch.js';
import { unpack } from './unpack.js';
import { changesSinceRecord } from '../sources/tree-listing.js';

/** Every kind of task, by name: adding a kind is a module here and its name in TASK_KINDS. */
export const TASK_MODULES: Readonly<Record<TaskKind, TaskKindModule>> = {
  fetch,
  unpack,
  patch,
  configure,
  build,
  install,
  osabi,
  package: packageKind,
};

/** What a task's key reads of its recipe and the profile (for computeKeys). */
export function keyFieldsOf(task: PlannedTask, recipe: Recipe, inputs: KeyInputs): unknown {
  return TASK_MODULES[task.kind].keyFields(recipe, inputs);
}

/** Fails on what a recipe's tasks would run but cannot (an unknown placeholder), before anything runs. */
export function checkRecipe(ctx: BuildContext, recipe: Recipe): void {
  for (const kind of Object.values(TASK_MODULES)) kind.check?.(ctx, recipe);
}

/** Whether a task can be skipped: its stored key matches and what it made is still there. */
export async function isUpToDate(ctx: BuildContext, task: PlannedTask, key: string | undefined): Promise<boolean> {
  const kind = TASK_MODULES[task.kind];
  if (kind.outputsAreTheRecord) return kind.outputsPresent(ctx, task);
  return (await ctx.state.read(task.recipe, task.kind)) === key && (await kind.outputsPresent(ctx, task));
}

/**
 * Runs one task, its log started afresh: a previous run's log is emptied, and the task's first
 * line makes a new one (for a step, the step's own process does: see spawner-source.ts). What it
 * means for the task state is the engine's.
 */
export async function runTask(ctx: BuildContext, task: PlannedTask, signal: AbortSignal): Promise<void> {
  const logFile = ctx.layout.log(task.recipe, task.kind);
  // Looked up first: in a fresh work directory there is no log yet, and a failed truncate costs
  // node an exception per task.
  if (statSync(logFile, { throwIfNoEntry: false })?.size) truncateSync(logFile);
  // For what the source and package tasks keep there; the step tasks keep nothing.
  if (!STEP_KINDS.has(task.kind)) mkdirSync(ctx.layout.stateDir(task.recipe), { recursive: true });
  await TASK_MODULES[task.kind].run(ctx, task, signal, logFile);
}

/** Records a task as done without running it (`build --touch`, like `make -t`). */
export async function touchTask(ctx: BuildContext, task: PlannedTask, signal: AbortSignal): Promise<void> {
  const kind = TASK_MODULES[task.kind];
  if (!kind.touch) return runTask(ctx, task, signal);
  await mkdir(ctx.layout.stateDir(task.recipe), { recursive: true });
  await kind.touch(ctx, task, signal);
}

/** The tasks whose steps run with the source tree at hand (and could damage it). */
const STEP_KINDS: ReadonlySet<TaskKind> = new Set(['configure', 'build', 'install']);

/**
 * After a failed step task, what is missing or changed in the recipe's source tree since it was
 * unpacked and patched; empty when it is whole, undefined when there is nothing to compare.
 */
export async function sourceTreeChanges(ctx: BuildContext, task: PlannedTask): Promise<string[] | undefined> {
  if (!STEP_KINDS.has(task.kind)) return undefined;
  const tree = treeOwner(ctx.toolchain.recipes.get(task.recipe)!);
  return changesSinceRecord(ctx.layout.src(tree), ctx.layout.treeListing(tree));
}
