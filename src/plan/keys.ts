import { sha256Hex } from '../hash.js';
import type { Profile } from '../recipes/profile.js';
import type { Recipe } from '../recipes/schema.js';
import type { Plan, PlannedTask } from './plan.js';

/** Bump when the meaning of a task changes, so that every stored key goes stale. */
export const KEY_VERSION = 1;

export interface PatchFileHash {
  readonly name: string;
  readonly sha256: string;
}

/** Everything outside the plan that keys depend on, gathered beforehand by the caller. */
export interface KeyInputs {
  readonly profile: Profile;
  /** All recipes of the toolchain (packages may depend on recipes outside the plan). */
  readonly recipes: ReadonlyMap<string, Recipe>;
  /** What identifies each recipe's source: checksum, commit, or content hash of an override. */
  readonly sourceIds: ReadonlyMap<string, string>;
  /** The patch files of each recipe, in application order. */
  readonly patches: ReadonlyMap<string, readonly PatchFileHash[]>;
}

/** What a task of its kind reads of its recipe and the profile (each kind's module says). */
export type KeyFields = (task: PlannedTask, recipe: Recipe, inputs: KeyInputs) => unknown;

/**
 * The key of every task: a sha256 over a fingerprint with a fixed field order — the task, the
 * inputs it reads, and the keys of the tasks it depends on. Paths ({src}, {obj}, ...) and {jobs}
 * are never among the fields: moving the work directory or changing -j rebuilds nothing. Pure.
 */
export function computeKeys(plan: Plan, inputs: KeyInputs, fieldsOf: KeyFields): Map<string, string> {
  const keys = new Map<string, string>();
  const recipes = new Map(plan.recipes.map((r) => [r.name, r]));
  for (const task of plan.tasks.values()) {
    const recipe = recipes.get(task.recipe)!;
    const fingerprint = {
      v: KEY_VERSION,
      kind: task.kind,
      recipe: recipe.name,
      version: recipe.version,
      fields: fieldsOf(task, recipe, inputs),
      deps: [...task.deps].sort().map((dep) => [dep, keys.get(dep)!]),
    };
    keys.set(task.id, sha256Hex(JSON.stringify(fingerprint)));
  }
  return keys;
}
