import type { KeyInputs } from '../plan/keys.js';
import type { PlannedTask, TaskKind } from '../plan/plan.js';
import type { Recipe } from '../recipes/schema.js';
import type { BuildContext } from './context.js';

/**
 * Everything about one kind of task, in one module: what its key reads, whether what it made
 * is still there, how it runs, and how `build --touch` marks it done.
 */
export interface TaskKindModule {
  readonly kind: TaskKind;
  /** The recipe and profile fields the task reads; they go into its key (pure). */
  keyFields(recipe: Recipe, inputs: KeyInputs): unknown;
  /**
   * Its outputs are their own record (a content-addressed cache shared by work directories):
   * the task is up to date whenever they are there, whatever the work directory stored.
   */
  readonly outputsAreTheRecord?: true;
  /** Expands what the task will run, so that a bad placeholder fails before anything runs. */
  check?(ctx: BuildContext, recipe: Recipe): void;
  /** Whether what the task made is still there (a stored key alone does not prove it). */
  outputsPresent(ctx: BuildContext, task: PlannedTask): Promise<boolean>;
  /** Runs the task; its log is `logFile`, emptied if it was there, made by its first line (appendLog, runStep). */
  run(ctx: BuildContext, task: PlannedTask, signal: AbortSignal, logFile: string): Promise<void>;
  /**
   * Makes the task's outputs exist, empty where they are missing, without running it. A kind
   * without `touch` runs for real under `--touch`.
   */
  touch?(ctx: BuildContext, task: PlannedTask, signal: AbortSignal): Promise<void>;
}

/**
 * What else changes what configure, build and install make: the profile's values and the
 * recipe's `env`. An empty `env` is left out, so that the keys of recipes without one are what
 * they were before recipes had it.
 */
export function whereFields(recipe: Recipe, inputs: KeyInputs): { target: string; prefix: string; osabi: number; env?: Record<string, string> } {
  const { profile } = inputs;
  const where = { target: profile.target, prefix: profile.prefix, osabi: profile.osabiValue };
  return Object.keys(recipe.env).length > 0 ? { ...where, env: recipe.env } : where;
}
