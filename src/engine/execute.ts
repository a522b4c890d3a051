import { mkdir } from 'node:fs/promises';
import type { ArtifactCounts } from '../cache/counts.js';
import { BuildCache, type Restore } from './cache.js';
import type { CacheSettings } from '../cache/settings.js';
import { TaskError, UserError, describeError } from '../errors.js';
import type { Budget } from '../process/budget.js';
import { LazyJobserver } from '../process/jobserver.js';
import { computeKeys, type PatchFileHash } from '../plan/keys.js';
import { TASK_KINDS, TREE_KINDS, continuersOf, criticalPath, jobSlots, planBuild, taskId, treeOwner, type Plan, type PlannedTask, type TaskKind } from '../plan/plan.js';
import { schedule, type ScheduleResult } from './schedule.js';
import { TaskDurations } from '../workdir/durations.js';
import { TimelineFile } from '../workdir/timeline.js';
import type { BuildTimeline } from '../plan/timeline.js';
import { TimelineRecorder } from './timeline.js';
import { TaskState } from '../workdir/state.js';
import type { Toolchain } from '../recipes/load.js';
import type { Recipe } from '../recipes/schema.js';
import { hashOverride } from '../sources/override.js';
import { hashPatches } from '../sources/patch.js';
import { retryFromEnvironment } from '../sources/download.js';
import { allPatchDirs, missingSources } from '../sources/source.js';
import type { BuildReporter, BuildSummary } from './reporter.js';
import { WorkLayout } from '../workdir/layout.js';
import { StepJournal, lockWorkDir } from '../workdir/running.js';
import type { BuildContext } from '../tasks/context.js';
import { checkRecipe, isUpToDate as taskUpToDate, keyFieldsOf, runTask, sourceTreeChanges, touchTask } from '../tasks/index.js';

/** How often a running build rewrites state/durations.json (and once more when it ends). */
const DURATIONS_EVERY_MS = 10_000;

export interface Prepared {
  readonly plan: Plan;
  readonly keys: ReadonlyMap<string, string>;
  readonly ctx: BuildContext;
}

/**
 * What identifies a recipe's source in its keys: the checksums of the release and of each
 * verified alternate, the commit of a git source, or the content of a local override.
 */
export async function sourceIdentity(recipe: Recipe, override: string | undefined): Promise<string | undefined> {
  const source = recipe.source;
  if (!source) return undefined;
  if (override) return `override:${await hashOverride(override)}`;
  if (source.git) return `git:${source.git.commit}${source.git.submodules ? '+submodules' : ''}`;
  const alternates = (source.alternates ?? []).map((a) => `alt:${a.deb.sha256}:${a.sha256}`);
  return [`sha256:${source.sha256}`, ...alternates].join(' ');
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
  /** Never touch the network. */
  readonly offline?: boolean;
  /** `--source NAME=PATH` overrides. */
  readonly overrides?: ReadonlyMap<string, string>;
}

/**
 * Plans a build and keys every task. Reads patch files but writes nothing; every planning error
 * (unknown recipe, cycle, unknown placeholder) surfaces here, before anything runs.
 */
export async function prepareBuild(options: PrepareOptions): Promise<Prepared> {
  const { toolchain } = options;
  const overrides = options.overrides ?? new Map<string, string>();
  const plan = planBuild(toolchain, options.selected, new Set(overrides.keys()));
  const layout = new WorkLayout(options.workDir);
  const ctx: BuildContext = {
    toolchain,
    layout,
    state: new TaskState(layout),
    sources: {
      cacheDir: options.cacheDir,
      offline: options.offline ?? false,
      premirrors: toolchain.profile.mirrors,
      overrides,
      toolchainDir: toolchain.dir,
      retry: retryFromEnvironment(process.env),
    },
    jobs: options.jobs,
    baseEnv: baseEnvironment(process.env),
    outDir: options.outDir ?? layout.out,
  };
  for (const recipe of plan.recipes) checkRecipe(ctx, recipe);
  const sourceIds = new Map<string, string>();
  const patches = new Map<string, PatchFileHash[]>();
  for (const recipe of plan.recipes) {
    const id = await sourceIdentity(recipe, overrides.get(recipe.name));
    if (id) sourceIds.set(recipe.name, id);
    const hashes: PatchFileHash[] = [];
    for (const { prefix, dir } of allPatchDirs(toolchain.dir, recipe)) {
      for (const patch of await hashPatches(dir)) hashes.push({ name: `${prefix}${patch.name}`, sha256: patch.sha256 });
    }
    patches.set(recipe.name, hashes);
  }
  const keys = computeKeys(plan, { profile: toolchain.profile, recipes: toolchain.recipes, sourceIds, patches }, keyFieldsOf);
  return { plan, keys, ctx };
}

/** Whether a task can be skipped (its kind says how: stored key and outputs, or outputs alone). */
export function isUpToDate(prepared: Prepared, task: PlannedTask): Promise<boolean> {
  return taskUpToDate(prepared.ctx, task, prepared.keys.get(task.id));
}

export interface ExecuteOptions {
  readonly keepGoing?: boolean;
  /** Recipes whose tasks run again whatever their keys say. */
  readonly force?: readonly string[];
  readonly reporter?: BuildReporter;
  readonly signal?: AbortSignal;
  /** Use a plain counter instead of a make jobserver (no make will run). */
  readonly budget?: Budget;
  /** Artifact and compiler caches (src/cache/); without them every task builds. */
  readonly cache?: { readonly settings: CacheSettings; readonly warn: (line: string) => void };
  /** Record tasks as done without running them (like `make -t`). */
  readonly touch?: boolean;
  /** Run only these kinds of task (e.g. fetch); the others are left alone. */
  readonly only?: readonly TaskKind[];
  /** What the build did before it started, for the user (steps of a killed run it ended). */
  readonly say?: (line: string) => void;
}

export interface BuildOutcome extends BuildSummary {
  readonly errors: ReadonlyArray<{ task: PlannedTask; error: unknown }>;
  /** Things the user should know that did not stop the build (printed before the summary). */
  readonly warnings: readonly string[];
  readonly cancelled: boolean;
  /** What the artifact cache did, when it was used. */
  readonly cache?: ArtifactCounts | undefined;
  /** The run's timeline, when it was written (a run that did nothing keeps the last one). */
  readonly timeline?: BuildTimeline | undefined;
}

/** Runs a prepared build under the work-directory lock and one job budget. */
export async function executeBuild(prepared: Prepared, options: ExecuteOptions = {}): Promise<BuildOutcome> {
  const started = Date.now();
  const timeline = new TimelineRecorder(started);
  const { plan, ctx } = prepared;
  const reporter = options.reporter ?? {};
  await mkdir(ctx.layout.root, { recursive: true });
  const unlock = await lockWorkDir(ctx.layout, options.say ?? (() => undefined));
  const steps = new StepJournal(ctx.layout);
  ctx.state.tidy();
  const jobserver = options.budget ? undefined : new LazyJobserver(() => ctx.layout.jobserverFifo(), ctx.jobs);
  // The one writer of task state: a task that made its outputs is recorded with its key.
  const record = (task: PlannedTask): Promise<void> => ctx.state.write(task.recipe, task.kind, prepared.keys.get(task.id)!);
  try {
    for (const name of options.force ?? []) {
      if (!plan.recipes.some((r) => r.name === name)) throw new UserError(`--force ${name}: no such recipe in this build`);
      for (const task of plan.tasks.values()) if (task.recipe === name && task.kind !== 'fetch') await ctx.state.forget(name, task.kind);
    }
    if (ctx.sources.offline) {
      const fetching = plan.recipes.filter((r) => plan.tasks.has(taskId(r.name, 'fetch')));
      const missing = await missingSources(ctx.sources, fetching);
      if (missing.length > 0) {
        throw new UserError(`--offline: ${missing.length} source${missing.length === 1 ? ' is' : 's are'} not in the cache ${ctx.sources.cacheDir}`, {
          details: missing,
        });
      }
    }
    // Runs that stop before the images (fetch only) and touch runs neither restore nor store;
    // one that leaves out only packaging (`--no-package`) does both.
    const reachesImages = options.only === undefined || options.only.includes('install');
    const cache = options.cache && reachesImages && !options.touch
      ? await BuildCache.open(
          {
            ...prepared,
            layout: ctx.layout,
            target: ctx.toolchain.profile.target,
            prefix: ctx.toolchain.profile.prefix,
            path: ctx.baseEnv.PATH ?? '',
            forced: new Set(options.force ?? []),
            isUpToDate: (task) => isUpToDate(prepared, task),
          },
          options.cache.settings,
          options.cache.warn,
        )
      : undefined;
    // The cache rewrites the plan before anything is scheduled: satisfied recipes lose the tasks
    // before their image, and restored image tasks are done already.
    const settled = cache ? await cache.settle() : { restored: new Map<string, Restore>(), unneeded: new Set<string>() };
    for (const id of settled.restored.keys()) {
      const task = plan.tasks.get(id)!;
      // The tasks after a restored image worked on the image it replaced.
      await ctx.state.forgetAfter(task.recipe, task.kind);
      await record(task);
    }
    const warnings: string[] = [];
    const runCtx: BuildContext = {
      ...ctx,
      warn: (task, line) => warnings.push(`${task.recipe}: ${line}`),
      compilers: cache?.compilers,
      steps,
      // Steps look the jobserver up when they start: it exists only once a task took a slot.
      get jobserver() {
        return jobserver?.server;
      },
      onProgress: (task, text) => reporter.taskProgress?.(task, text),
    };
    // A recipe that continues another's tree built on what that recipe's tree tasks replace; an
    // image restored in this run owes the tree nothing.
    const restoredRecipes = new Set([...settled.restored.keys()].map((id) => plan.tasks.get(id)!.recipe));
    const forgetContinuers = async (owner: string): Promise<void> => {
      for (const continuer of continuersOf(plan.recipes, owner)) {
        if (restoredRecipes.has(continuer.name)) continue;
        for (const kind of TASK_KINDS) await ctx.state.forget(continuer.name, kind);
      }
    };
    // A failed step that took files from its source tree (a `make clean` gone wrong, a script
    // deleting what it should have copied) would fail the same way on every rerun: the tree is
    // unpacked again instead. Checked only after a failure, so a good build pays nothing for it.
    const forgetDamagedTree = async (task: PlannedTask): Promise<void> => {
      const changes = await sourceTreeChanges(ctx, task);
      if (!changes || changes.length === 0) return;
      const owner = treeOwner(plan.recipes.find((recipe) => recipe.name === task.recipe)!);
      await ctx.state.forget(owner, 'unpack');
      await ctx.state.forgetAfter(owner, 'unpack');
      await forgetContinuers(owner);
      const more = changes.length > 1 ? ` and ${changes.length - 1} more` : '';
      warnings.push(`${task.recipe}: its source tree changed during ${task.kind} (${changes[0]}${more}): the next run unpacks it again`);
    };
    const only = options.only;
    const kept = (task: PlannedTask): boolean => !settled.unneeded.has(task.id) && (!only || only.includes(task.kind));
    const shown = [...plan.tasks.values()].filter(kept).map((task) => ({ ...task, deps: task.deps.filter((dep) => kept(plan.tasks.get(dep)!)) }));
    const durations = new TaskDurations(ctx.layout.durations);
    const previousMs = durations.read();
    const latestMs = new Map(previousMs);
    // Rewritten now and then while the run goes on (a killed run keeps most of its times) and
    // once when it ends: after every task, a graph of many short tasks would spend its time here.
    let durationsSavedAt = Date.now();
    let durationsChanged = false;
    const saveDurations = (now: boolean): void => {
      if (!durationsChanged || (!now && Date.now() - durationsSavedAt < DURATIONS_EVERY_MS)) return;
      durationsSavedAt = Date.now();
      durationsChanged = false;
      try {
        durations.write(latestMs);
      } catch {
        // The times are only a hint for the next build's view; a build does not fail for them.
      }
    };
    const likelyUpToDate = new Set<string>();
    for (const task of shown) if ((await ctx.state.read(task.recipe, task.kind)) === prepared.keys.get(task.id)) likelyUpToDate.add(task.id);
    reporter.start?.({ ...plan, tasks: new Map(shown.map((task) => [task.id, task])) }, { previousMs, likelyUpToDate, jobs: ctx.jobs });
    for (const [id, restore] of settled.restored) {
      reporter.taskFinished?.(plan.tasks.get(id)!, 'restored', restore.ms);
      timeline.restored(id, restore);
    }
    const tasks = shown
      .filter((task) => !settled.restored.has(task.id))
      .map((task) => ({ ...task, deps: task.deps.filter((dep) => !settled.restored.has(dep)) }));
    // Written however the schedule ends (a failure, an interruption, a bug), so that the picture
    // of a failed build is there to look at; a touched run took no time worth drawing.
    let written: BuildTimeline | undefined;
    const saveTimeline = (outcome: BuildTimeline['outcome']): void => {
      if (options.touch || !timeline.didAnything) return;
      const inRun = [...plan.tasks.values()].filter((task) => !only || only.includes(task.kind));
      const ids = new Set(inRun.map((task) => task.id));
      const drawn = timeline.result({
        tasks: inRun.map((task) => ({ ...task, deps: task.deps.filter((dep) => ids.has(dep)) })),
        recipes: plan.recipes.map((recipe) => recipe.name).filter((name) => inRun.some((task) => task.recipe === name)),
        leftOut: settled.unneeded,
        jobs: ctx.jobs,
        outcome,
      });
      try {
        new TimelineFile(ctx.layout.timeline).write(drawn);
        written = drawn;
      } catch (error) {
        warnings.push(`cannot write the build's timeline ${ctx.layout.timeline}: ${describeError(error)}`);
      }
    };
    timeline.scheduleStarted();
    let result: ScheduleResult;
    try {
      result = await schedule({
        tasks,
        budget: options.budget ?? jobserver!,
        priority: criticalPath(plan),
        weight: (task) => jobSlots(task.kind),
        keepGoing: options.keepGoing ?? false,
        ...(options.signal ? { signal: options.signal } : {}),
        isUpToDate: (task) => isUpToDate(prepared, task),
        run: async (task, signal) => {
          await ctx.state.forgetAfter(task.recipe, task.kind);
          if (TREE_KINDS.has(task.kind)) await forgetContinuers(task.recipe);
          try {
            await (options.touch ? touchTask : runTask)(runCtx, task, signal);
          } catch (error) {
            if (!signal.aborted) await forgetDamagedTree(task);
            throw error;
          }
          await record(task);
          await cache?.store(task);
        },
        onEvent: (event) => {
          timeline.record(event);
          if (event.type === 'started') reporter.taskStarted?.(event.task);
          else if (event.type === 'finished') reporter.taskFinished?.(event.task, event.status, event.ms, event.error);
          // A touched task took no time to build: its record would spoil the next estimate.
          if (event.type === 'finished' && event.status === 'success' && !options.touch) {
            latestMs.set(event.task.id, event.ms);
            durationsChanged = true;
            saveDurations(false);
          }
        },
      });
    } catch (error) {
      saveTimeline('failed');
      saveDurations(true);
      throw error;
    }
    saveDurations(true);
    saveTimeline(result.cancelled ? 'cancelled' : [...result.status.values()].includes('failed') ? 'failed' : 'succeeded');
    await cache?.finish();
    const count = (wanted: string): number => [...result.status.values()].filter((s) => s === wanted).length;
    // Tasks left out and images restored built nothing: the summary counts them as skipped.
    const leftOut = plan.tasks.size - tasks.length - (only ? [...plan.tasks.values()].filter((task) => !only.includes(task.kind)).length : 0);
    const outcome: BuildOutcome = {
      ran: count('success') + count('failed'),
      skipped: count('skipped') + leftOut,
      failed: count('failed'),
      notStarted: count('aborted'),
      elapsedMs: Date.now() - started,
      notes: [...plan.overridden].filter((name) => plan.recipes.some((r) => r.name === name)).map((name) => `source override: ${name}`),
      errors: [...result.errors].map(([id, error]) => ({ task: plan.tasks.get(id)!, error: wrapUnexpected(plan.tasks.get(id)!, error, ctx.layout) })),
      cancelled: result.cancelled,
      cache: cache?.counts,
      warnings,
      timeline: written,
    };
    await reporter.end?.(outcome);
    return outcome;
  } finally {
    steps.close();
    ctx.state.close();
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
