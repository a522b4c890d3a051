import path from 'node:path';
import type { CompilerCache } from '../cache/ccache.js';
import type { Jobserver } from '../process/jobserver.js';
import { transitiveNeeds, treeOwner, type PlannedTask, type TaskKind } from '../plan/plan.js';
import type { TaskState } from '../workdir/state.js';
import { expandStep, expandString, type ExpandScope, type PlaceholderValues } from '../recipes/expand.js';
import type { Toolchain } from '../recipes/load.js';
import type { Recipe, Step } from '../recipes/schema.js';
import type { SourceContext } from '../sources/source.js';
import type { WorkLayout } from '../workdir/layout.js';
import type { StepJournal } from '../workdir/running.js';

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
  /** Where the run records its running steps (a run that cannot be killed halfway has none). */
  readonly steps?: StepJournal | undefined;
  /** Progress of a running task (download bytes), for the terminal view. */
  readonly onProgress?: ((task: PlannedTask, text: string) => void) | undefined;
}

export function recipeOf(ctx: BuildContext, task: PlannedTask): Recipe {
  return ctx.toolchain.recipes.get(task.recipe)!;
}

/**
 * A recipe that continues another's tree also uses that recipe's stage: its build folder was
 * configured with the stage's paths (gcc's --with-build-sysroot), so the stage must be there,
 * holding this recipe's needs.
 */
export function placeholderValues(ctx: BuildContext, recipe: Recipe): PlaceholderValues {
  const { profile } = ctx.toolchain;
  const tree = treeOwner(recipe);
  const stage = ctx.layout.stage(tree);
  return {
    name: recipe.name,
    version: recipe.version,
    target: profile.target,
    prefix: profile.prefix,
    osabi: String(profile.osabiValue),
    jobs: String(ctx.jobs),
    src: ctx.layout.src(tree),
    relsrc: path.relative(ctx.layout.obj(tree), ctx.layout.src(tree)),
    obj: ctx.layout.obj(tree),
    image: ctx.layout.image(recipe.name),
    stage,
    sysroot: path.join(stage, profile.prefix, profile.target),
    work: ctx.layout.root,
  };
}

/** The environment of a recipe's steps: the stage's tools first in PATH. Shared: copy it to change it. */
export function stepEnv(ctx: BuildContext, recipe: Recipe): Readonly<Record<string, string>> {
  const envs = perBuild(stepEnvs, ctx, () => new Map());
  let env = envs.get(recipe.name);
  if (!env) {
    const stageBin = path.join(ctx.layout.stage(treeOwner(recipe)), ctx.toolchain.profile.prefix, 'bin');
    env = {
      ...ctx.baseEnv,
      PATH: [stageBin, ctx.baseEnv.PATH ?? '/usr/bin:/bin'].join(path.delimiter),
      SOURCE_DATE_EPOCH: String(ctx.toolchain.profile.sourceDateEpoch),
    };
    envs.set(recipe.name, env);
  }
  return env;
}

/** stepEnv's answers by build: every step of a recipe starts from the same one. */
const stepEnvs = new WeakMap<BuildContext, Map<string, Readonly<Record<string, string>>>>();

/** What `memos` keeps for this build, made by `make` the first time it is asked for. */
export function perBuild<T>(memos: WeakMap<BuildContext, T>, ctx: BuildContext, make: () => T): T {
  let memo = memos.get(ctx);
  if (memo === undefined) memos.set(ctx, (memo = make()));
  return memo;
}

/**
 * A recipe's placeholder values and needs, by build context: they stay the same for a whole
 * build, and every check and every step task of the recipe expands with them. The needs are
 * found only for a recipe that names another's source (`{src:OTHER}`), which few do: in a deep
 * graph, walking every recipe's needs was most of a no-op's planning.
 */
const scopeBases = new WeakMap<BuildContext, Map<string, { readonly values: PlaceholderValues; needs?: ReadonlySet<string> }>>();

function expandScope(ctx: BuildContext, recipe: Recipe): (step: string) => ExpandScope {
  const bases = perBuild(scopeBases, ctx, () => new Map());
  let base = bases.get(recipe.name);
  if (!base) {
    base = { values: placeholderValues(ctx, recipe) };
    bases.set(recipe.name, base);
  }
  const known = base;
  const needs = (): ReadonlySet<string> => (known.needs ??= new Set(transitiveNeeds(ctx.toolchain.recipes, recipe.name).map((r) => r.name)));
  return (step) => ({
    recipe: recipe.name,
    step,
    values: known.values,
    sourceOf: (other) => (needs().has(other) ? ctx.layout.src(other) : undefined),
  });
}

export function expandSteps(ctx: BuildContext, recipe: Recipe, kind: TaskKind, steps: readonly Step[]): string[][] {
  const scope = expandScope(ctx, recipe);
  return steps.map((step, index) => expandStep(step, scope(`${kind} step ${index + 1}`)));
}

/**
 * A configure, build or install task's steps and the recipe's `env` (what those steps add to
 * stepEnv), expanded in one scope; the tasks' checks call it too, so a bad placeholder in either
 * stops the build before anything runs.
 */
export function expandRecipeSteps(ctx: BuildContext, recipe: Recipe, kind: TaskKind, steps: readonly Step[]): { argvs: string[][]; env: Record<string, string> } {
  const scope = expandScope(ctx, recipe);
  return {
    argvs: steps.map((step, index) => expandStep(step, scope(`${kind} step ${index + 1}`))),
    env: Object.fromEntries(Object.entries(recipe.env).map(([name, value]) => [name, expandString(value, scope(`env ${name}`))])),
  };
}
