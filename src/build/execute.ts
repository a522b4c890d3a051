import { mkdir } from 'node:fs/promises';
import { TaskError, UserError } from '../errors.js';
import { CounterBudget, type Budget } from '../graph/budget.js';
import { Jobserver } from '../graph/jobserver.js';
import { computeKeys, type PatchFileHash } from '../graph/keys.js';
import { acquireLock } from '../graph/lock.js';
import { criticalPath, planBuild, type Plan, type PlannedTask } from '../graph/plan.js';
import { schedule } from '../graph/schedule.js';
import { TaskState } from '../graph/state.js';
import type { Toolchain } from '../recipes/load.js';
import type { Recipe } from '../recipes/schema.js';
import { HostPackages } from '../package/shlibs.js';
import { hashPatches } from '../sources/patch.js';
import type { BuildReporter, BuildSummary } from '../ui/reporter.js';
import { WorkLayout } from './layout.js';
import { expandSteps, outputsPresent, runTask, type BuildContext } from './tasks.js';

export interface Prepared {
  readonly plan: Plan;
  readonly keys: ReadonlyMap<string, string>;
  readonly ctx: BuildContext;
}

/** What identifies a recipe's source in its keys. */
export function sourceIdentity(recipe: Recipe): string | undefined {
  const source = recipe.source;
  if (!source) return undefined;
  if (source.git) return `git:${source.git.commit}${source.git.submodules ? '+submodules' : ''}`;
  return `sha256:${source.sha256}`;
}

/** Make's own variables must not leak from a make that started us into the steps' makes. */
function baseEnvironment(env: NodeJS.ProcessEnv): Record<string, string> {
  const clean: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined || ['MAKEFLAGS', 'MFLAGS', 'MAKELEVEL', 'MAKEOVERRIDES'].includes(name)) continue;
    clean[name] = value;
  }
  return clean;
}

export interface PrepareOptions {
  readonly toolchain: Toolchain;
  readonly selected?: readonly string[];
  readonly workDir: string;
  readonly cacheDir: string;
  readonly jobs: number;
  /** Where package tasks write .deb files; `<work>/out` by default. */
  readonly outDir?: string;
}

/**
 * Plans a build and keys every task. Reads patch files but writes nothing; every planning error
 * (unknown recipe, cycle, unknown placeholder) surfaces here, before anything runs.
 */
export async function prepareBuild(options: PrepareOptions): Promise<Prepared> {
  const { toolchain } = options;
  const plan = planBuild(toolchain, options.selected);
  const layout = new WorkLayout(options.workDir);
  const ctx: BuildContext = {
    toolchain,
    layout,
    state: new TaskState(layout),
    cacheDir: options.cacheDir,
    jobs: options.jobs,
    baseEnv: baseEnvironment(process.env),
    outDir: options.outDir ?? layout.out,
    host: new HostPackages(),
  };
  for (const recipe of plan.recipes) {
    expandSteps(ctx, recipe, 'configure', recipe.configure);
    expandSteps(ctx, recipe, 'build', recipe.build);
    expandSteps(ctx, recipe, 'install', recipe.install);
  }
  const sourceIds = new Map<string, string>();
  const patches = new Map<string, PatchFileHash[]>();
  for (const recipe of plan.recipes) {
    const id = sourceIdentity(recipe);
    if (id) sourceIds.set(recipe.name, id);
    if (recipe.patchDir) patches.set(recipe.name, await hashPatches(recipe.patchDir));
  }
  const keys = computeKeys(plan, { profile: toolchain.profile, recipes: toolchain.recipes, sourceIds, patches });
  return { plan, keys, ctx };
}

/** Whether a task can be skipped: its stored key matches and what it made is still there. */
export async function isUpToDate(prepared: Prepared, task: PlannedTask): Promise<boolean> {
  const stored = await prepared.ctx.state.read(task.recipe, task.kind);
  return stored === prepared.keys.get(task.id) && (await outputsPresent(prepared.ctx, task));
}

export interface ExecuteOptions {
  readonly keepGoing?: boolean;
  /** Recipes whose tasks run again whatever their keys say. */
  readonly force?: readonly string[];
  readonly reporter?: BuildReporter;
  readonly signal?: AbortSignal;
  /** Use a plain counter instead of a make jobserver (no make will run). */
  readonly budget?: Budget;
}

export interface BuildOutcome extends BuildSummary {
  readonly errors: ReadonlyArray<{ task: PlannedTask; error: unknown }>;
  readonly cancelled: boolean;
}

/** Runs a prepared build under the work-directory lock and one job budget. */
export async function executeBuild(prepared: Prepared, options: ExecuteOptions = {}): Promise<BuildOutcome> {
  const started = Date.now();
  const { plan, ctx } = prepared;
  const reporter = options.reporter ?? {};
  await mkdir(ctx.layout.root, { recursive: true });
  const unlock = await acquireLock(ctx.layout.lock);
  let jobserver: Jobserver | undefined;
  try {
    for (const name of options.force ?? []) {
      if (!plan.recipes.some((r) => r.name === name)) throw new UserError(`--force ${name}: no such recipe in this build`);
      for (const task of plan.tasks.values()) if (task.recipe === name && task.kind !== 'fetch') await ctx.state.forget(name, task.kind);
    }
    if (!options.budget) jobserver = Jobserver.create(ctx.layout.root, ctx.jobs);
    const runCtx: BuildContext = { ...ctx, jobserver };
    const tasks = [...plan.tasks.values()];
    reporter.start?.(plan);
    const result = await schedule({
      tasks,
      budget: options.budget ?? jobserver!,
      priority: criticalPath(plan),
      keepGoing: options.keepGoing ?? false,
      ...(options.signal ? { signal: options.signal } : {}),
      isUpToDate: (task) => isUpToDate(prepared, task),
      run: async (task, signal) => {
        await runTask(runCtx, task, signal);
        await ctx.state.write(task.recipe, task.kind, prepared.keys.get(task.id)!);
      },
      onEvent: (event) => {
        if (event.type === 'started') reporter.taskStarted?.(event.task);
        else reporter.taskFinished?.(event.task, event.status, event.ms, event.error);
      },
    });
    const count = (wanted: string): number => [...result.status.values()].filter((s) => s === wanted).length;
    const outcome: BuildOutcome = {
      ran: count('success') + count('failed'),
      skipped: count('skipped'),
      failed: count('failed'),
      notStarted: count('aborted'),
      elapsedMs: Date.now() - started,
      notes: [],
      errors: [...result.errors].map(([id, error]) => ({ task: plan.tasks.get(id)!, error: wrapUnexpected(plan.tasks.get(id)!, error, ctx.layout) })),
      cancelled: result.cancelled,
    };
    await reporter.end?.(outcome);
    return outcome;
  } finally {
    jobserver?.close();
    await unlock();
  }
}

/** Failures that are not already task errors (a bug, a disk error) still name their task and log. */
function wrapUnexpected(task: PlannedTask, error: unknown, layout: WorkLayout): unknown {
  if (error instanceof UserError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new TaskError(task.recipe, task.kind, message, { logPath: layout.log(task.recipe, task.kind), cause: error });
}
