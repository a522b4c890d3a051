import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { escapePath, glob } from 'tinyglobby';
import { TaskError } from '../errors.js';
import type { CompilerCache } from '../cache/ccache.js';
import type { Jobserver } from '../graph/jobserver.js';
import { STAGED_KINDS, TASK_KINDS, kindsOf, transitiveNeeds, type PlannedTask, type TaskKind } from '../graph/plan.js';
import type { TaskState } from '../graph/state.js';
import { osabiLabel } from '../formats/osabi.js';
import { expandStep, expandString, placeholdersUsed, type PlaceholderValues } from '../recipes/expand.js';
import type { Toolchain } from '../recipes/load.js';
import type { Recipe, Step } from '../recipes/schema.js';
import { PatchError, applyPatches, listPatches } from '../sources/patch.js';
import type { HostPackages } from '../package/shlibs.js';
import {
  availableArtifact,
  currentSourceLabel,
  fetchSource,
  isFetched,
  patchDirsFor,
  pinDisagreements,
  placeSource,
  recordedSourceLabel,
  type Artifact,
  type SourceContext,
} from '../sources/source.js';
import type { WorkLayout } from './layout.js';
import { describeSetResult, setOsabi } from './osabi.js';
import { packageOutputPresent, runPackageTask } from './package-task.js';
import { StepFailure, appendLog, runStep, tailLines } from './run.js';
import { buildStage } from './stage.js';

/** Everything a task needs to run, shared by all tasks of one build. */
export interface BuildContext {
  readonly toolchain: Toolchain;
  readonly layout: WorkLayout;
  readonly state: TaskState;
  readonly sources: SourceContext;
  readonly jobs: number;
  readonly jobserver?: Jobserver | undefined;
  /** The environment steps start from (the orchestrator's, minus make's own variables). */
  readonly baseEnv: Readonly<Record<string, string>>;
  /** Wraps the compilers of every step in ccache (`--ccache`). */
  readonly compilers?: CompilerCache | undefined;
  /** Something the user should know that does not stop the build. */
  readonly warn?: ((task: PlannedTask, line: string) => void) | undefined;
  /** Where package tasks write .deb files (`--out`, default `<work>/out`). */
  readonly outDir: string;
  /** The host's package database, for shared-library dependencies (one per build, it caches). */
  readonly host?: HostPackages;
  /** Progress of a running task (download bytes), for the terminal view. */
  readonly onProgress?: ((task: PlannedTask, text: string) => void) | undefined;
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

/** Synchronous on purpose: up-to-date checks run once per task, and a stat is cheaper than a thread pool round trip. */
async function exists(file: string): Promise<boolean> {
  return existsSync(file);
}

/** Whether what a task produced is still there (a stored key alone does not prove it). */
export async function outputsPresent(ctx: BuildContext, task: PlannedTask): Promise<boolean> {
  const recipe = recipeOf(ctx, task);
  switch (task.kind) {
    case 'fetch':
      return isFetched(ctx.sources, recipe);
    case 'unpack':
    case 'patch':
      // A tree made from another artifact than the one a build would use now is stale.
      return (
        (await exists(ctx.layout.src(task.recipe))) &&
        (await recordedSourceLabel(ctx.layout.stateDir(recipe.name))) === (await currentSourceLabel(ctx.sources, recipe))
      );
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
  const env = ctx.compilers ? await ctx.compilers.environment(recipe.name, stepEnv(ctx, recipe)) : stepEnv(ctx, recipe);
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

async function unpack(ctx: BuildContext, recipe: Recipe, log: (line: string) => void): Promise<Artifact | undefined> {
  const artifact = await placeSource(ctx.sources, recipe, ctx.layout.src(recipe.name), ctx.layout.stateDir(recipe.name), log);
  await writeFile(path.join(ctx.layout.stateDir(recipe.name), PRISTINE), '');
  return artifact;
}

/** Turns byte counts into a bar with "12.3 MiB of 80.0 MiB, 4.1 MiB/s", at most a few times a second. */
function progressReporter(show: (text: string) => void) {
  const started = Date.now();
  let last = 0;
  return ({ transferred, total }: { transferred: number; total: number | undefined }): void => {
    const now = Date.now();
    if (now - last < 250) return;
    last = now;
    const mib = (bytes: number): string => `${(bytes / 1048576).toFixed(1)} MiB`;
    const rate = transferred / Math.max(0.001, (now - started) / 1000);
    const bar = total ? `${'█'.repeat(Math.round((20 * transferred) / total)).padEnd(20, '░')} ${Math.floor((100 * transferred) / total)}% ` : '';
    show(`${bar}${mib(transferred)}${total ? ` of ${mib(total)}` : ''}, ${mib(rate)}/s`);
  };
}

/**
 * Records a task as done without running it (`build --touch`, like `make -t`): its outputs are
 * made to exist, empty, where they are missing. Packages are cheap and have real contents, so
 * they are built for real.
 */
export async function touchTask(ctx: BuildContext, task: PlannedTask, signal: AbortSignal): Promise<void> {
  const recipe = recipeOf(ctx, task);
  await mkdir(ctx.layout.stateDir(recipe.name), { recursive: true });
  switch (task.kind) {
    case 'fetch':
      if (!(await isFetched(ctx.sources, recipe))) throw new TaskError(recipe.name, 'fetch', 'cannot mark as done: the source is not in the cache (run fetch)');
      return;
    case 'unpack':
    case 'patch':
      await mkdir(ctx.layout.src(recipe.name), { recursive: true });
      await writeFile(path.join(ctx.layout.stateDir(recipe.name), 'source'), `${(await currentSourceLabel(ctx.sources, recipe)) ?? ''}\n`);
      return;
    case 'configure':
    case 'build':
      await mkdir(ctx.layout.obj(recipe.name), { recursive: true });
      return;
    case 'install':
    case 'osabi':
      await mkdir(ctx.layout.image(recipe.name), { recursive: true });
      return;
    case 'package':
      await runTask(ctx, task, signal);
  }
}

/**
 * The first task that runs steps assembles the stage from the images of the recipe's needs, and
 * says so when a source tree it uses through `{src:OTHER}` is pinned differently from the
 * submodule its own repository records for it.
 */
async function stageIfFirst(ctx: BuildContext, task: PlannedTask, logFile: string): Promise<void> {
  const recipe = recipeOf(ctx, task);
  if (kindsOf(recipe).find((k) => STAGED_KINDS.has(k)) !== task.kind) return;
  const images = transitiveNeeds(ctx.toolchain.recipes, recipe.name).map((need) => ctx.layout.image(need.name));
  await buildStage(ctx.layout.stage(recipe.name), images);
  const others = placeholdersUsed([...recipe.configure, ...recipe.build, ...recipe.install]).filter((p) => p.startsWith('src:'));
  for (const other of others) {
    for (const line of await pinDisagreements(ctx.sources, recipe, ctx.toolchain.recipes.get(other.slice(4))!)) {
      await appendLog(logFile, `warning: ${line}`);
      ctx.warn?.(task, line);
    }
  }
}

/**
 * The files of a recipe's image that its `osabi` globs name. Globs are written as installed
 * paths (`{prefix}/{target}/lib/*.a`) and looked up inside the image. A glob that matches
 * nothing is an error, so that a typo cannot quietly leave a library unstamped.
 */
async function osabiFiles(ctx: BuildContext, recipe: Recipe, logFile: string): Promise<string[]> {
  const image = ctx.layout.image(recipe.name);
  // Placeholder values are escaped: a prefix with glob characters in it means itself.
  const values = Object.fromEntries(Object.entries(placeholderValues(ctx, recipe)).map(([k, v]) => [k, escapePath(v)])) as PlaceholderValues;
  const files = new Set<string>();
  for (const [index, written] of recipe.osabi.entries()) {
    const scope = { recipe: recipe.name, step: `osabi glob ${index + 1}`, values, sourceOf: () => undefined };
    const pattern = expandString(written, scope).replace(/^\/+/, '');
    if (pattern.split('/').includes('..')) {
      throw new TaskError(recipe.name, 'osabi', `glob "${written}" leaves the image (it has a .. part)`, { logPath: logFile });
    }
    // Symbolic links match nothing (tinyglobby leaves them out when not following them): one
    // may point out of the image, and one that points into it names a file a glob can name.
    const matches = await glob(pattern, { cwd: image, dot: true, expandDirectories: false, followSymbolicLinks: false, onlyFiles: true });
    if (matches.length === 0) {
      throw new TaskError(recipe.name, 'osabi', `glob "${written}" matched no file in the image (looked for ${pattern} in ${image}; symbolic links do not count)`, {
        logPath: logFile,
      });
    }
    for (const match of matches) files.add(match);
  }
  return [...files].sort();
}

/** Sets the profile's OS/ABI on the files the recipe's `osabi` globs name, after install. */
async function stampImage(ctx: BuildContext, recipe: Recipe, logFile: string): Promise<void> {
  const image = ctx.layout.image(recipe.name);
  const value = ctx.toolchain.profile.osabiValue;
  const files = await osabiFiles(ctx, recipe, logFile);
  const results = await setOsabi(files.map((file) => path.join(image, file)), { value });
  const lines = results.map((result, i) => describeSetResult({ ...result, file: files[i]! }, value));
  await appendLog(logFile, lines.join('\n'));
  const refused = results.flatMap((result, i) => result.problems.map((p) => `${osabiLabel(files[i]!, p.member)}: ${p.problem}`));
  if (refused.length > 0) {
    throw new TaskError(recipe.name, 'osabi', `cannot set the OS/ABI of ${results.filter((r) => r.problems.length > 0).length} file(s) in the image`, {
      logPath: logFile,
      details: refused.slice(0, TAIL_LINES),
    });
  }
}

/**
 * Runs one task. Before it runs, the stored state of the later tasks of the same recipe is
 * forgotten: they work on what this task is about to replace (a fresh source tree, build folder
 * or image), so they must run again even if their keys did not change.
 */
export async function runTask(ctx: BuildContext, task: PlannedTask, signal: AbortSignal): Promise<void> {
  const recipe = recipeOf(ctx, task);
  const logFile = ctx.layout.log(recipe.name, task.kind);
  mkdirSync(path.dirname(logFile), { recursive: true });
  mkdirSync(ctx.layout.stateDir(recipe.name), { recursive: true });
  writeFileSync(logFile, '');
  for (const later of TASK_KINDS.slice(TASK_KINDS.indexOf(task.kind) + 1)) await ctx.state.forget(recipe.name, later);
  const log = (line: string): Promise<void> => appendLog(logFile, line);

  switch (task.kind) {
    case 'fetch': {
      const lines: string[] = [];
      try {
        await fetchSource(ctx.sources, recipe, {
          signal,
          log: (line) => lines.push(line),
          onProgress: ctx.onProgress && progressReporter((text) => ctx.onProgress!(task, text)),
        });
      } catch (error) {
        throw new TaskError(recipe.name, 'fetch', error instanceof Error ? error.message : String(error), { logPath: logFile, cause: error });
      } finally {
        await log(lines.join('\n'));
      }
      return;
    }
    case 'unpack':
      await unpack(ctx, recipe, (line) => void log(line));
      return;
    case 'patch': {
      const src = ctx.layout.src(recipe.name);
      const pristine = path.join(ctx.layout.stateDir(recipe.name), PRISTINE);
      // A changed patch set is applied to a fresh tree, never on top of the previous one.
      let artifact: Artifact | undefined;
      if (await exists(pristine)) {
        artifact = await availableArtifact(ctx.sources, recipe);
      } else {
        await log('the source tree was patched before: unpacking it afresh');
        artifact = await unpack(ctx, recipe, (line) => void log(line));
      }
      await rm(pristine, { force: true });
      try {
        for (const dir of patchDirsFor(ctx.sources, recipe, artifact)) {
          await log(`applying the patches of ${dir}`);
          await applyPatches(src, await listPatches(dir), logFile, stepEnv(ctx, recipe));
        }
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
      await stageIfFirst(ctx, task, logFile);
      await runSteps(ctx, task, recipe.configure, logFile, signal);
      return;
    case 'build':
      await stageIfFirst(ctx, task, logFile);
      await runSteps(ctx, task, recipe.build, logFile, signal);
      return;
    case 'install': {
      await stageIfFirst(ctx, task, logFile);
      const image = ctx.layout.image(recipe.name);
      await rm(image, { recursive: true, force: true });
      await mkdir(image, { recursive: true });
      await runSteps(ctx, task, recipe.install, logFile, signal);
      return;
    }
    case 'osabi':
      await stampImage(ctx, recipe, logFile);
      return;
    case 'package':
      await runPackageTask(ctx, recipe, logFile);
      return;
  }
}
