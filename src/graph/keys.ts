import { createHash } from 'node:crypto';
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

export function sha256Hex(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** The fields of the recipe and profile that a task of this kind reads. */
function taskFields(task: PlannedTask, recipe: Recipe, inputs: KeyInputs): unknown {
  const { profile } = inputs;
  // Paths ({src}, {obj}, ...) and {jobs} are deliberately absent: moving the work directory or
  // changing -j must not rebuild anything.
  const where = { target: profile.target, prefix: profile.prefix, osabi: profile.osabiValue };
  switch (task.kind) {
    case 'fetch':
    case 'unpack':
      return { source: inputs.sourceIds.get(recipe.name) ?? null };
    case 'patch':
      return { patches: (inputs.patches.get(recipe.name) ?? []).map((p) => [p.name, p.sha256]) };
    case 'configure':
      return { steps: recipe.configure, needs: recipe.needs, ...where };
    case 'build':
      return { steps: recipe.build, ...where };
    case 'install':
      return { steps: recipe.install, ...where };
    case 'osabi':
      return { globs: recipe.osabi, osabi: profile.osabiValue, prefix: profile.prefix, target: profile.target };
    case 'package': {
      const versions = Object.fromEntries(
        [...inputs.recipes.values()].filter((r) => r.package !== undefined).map((r) => [r.package!.name, r.version]),
      );
      const spec = recipe.package!;
      return {
        package: spec,
        dependsOn: spec.depends.map((d) => [d, versions[d.split(/\s/)[0]!] ?? null]),
        summary: recipe.summary,
        license: recipe.license,
        homepage: recipe.homepage ?? null,
        maintainer: profile.maintainer,
        revision: profile.revision,
        epoch: profile.sourceDateEpoch,
        prefix: profile.prefix,
        target: profile.target,
        compression: profile.compression,
        // Facts of the host (the installed libc6 version behind a Depends, the strip and xz
        // used) are not inputs here: a rebuilt image repacks, an upgraded host alone does not.
      };
    }
  }
}

/**
 * The key of every task: a sha256 over a fingerprint with a fixed field order — the task, the
 * inputs it reads, and the keys of the tasks it depends on. Pure.
 */
export function computeKeys(plan: Plan, inputs: KeyInputs): Map<string, string> {
  const keys = new Map<string, string>();
  const recipes = new Map(plan.recipes.map((r) => [r.name, r]));
  for (const task of plan.tasks.values()) {
    const recipe = recipes.get(task.recipe)!;
    const fingerprint = {
      v: KEY_VERSION,
      kind: task.kind,
      recipe: recipe.name,
      version: recipe.version,
      fields: taskFields(task, recipe, inputs),
      deps: [...task.deps].sort().map((dep) => [dep, keys.get(dep)!]),
    };
    keys.set(task.id, sha256Hex(JSON.stringify(fingerprint)));
  }
  return keys;
}
