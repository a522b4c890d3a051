import { PlanError } from '../errors.js';
import type { Toolchain } from '../recipes/load.js';
import type { Recipe } from '../recipes/schema.js';

/** The kinds of task a recipe can expand to, in the order they run. */
export const TASK_KINDS = ['fetch', 'unpack', 'patch', 'configure', 'build', 'install', 'osabi', 'package'] as const;
export type TaskKind = (typeof TASK_KINDS)[number];

/** Tasks that make or change a recipe's source tree and build folder. */
export const TREE_KINDS: ReadonlySet<TaskKind> = new Set(['unpack', 'patch', 'configure', 'build']);

/** Tasks that run steps after the recipe's needs have been staged. */
export const STAGED_KINDS: ReadonlySet<TaskKind> = new Set(['configure', 'build', 'install']);

export interface PlannedTask {
  /** `recipe:kind`, unique in a plan. */
  readonly id: string;
  readonly recipe: string;
  readonly kind: TaskKind;
  /** Ids of the tasks that must finish first. */
  readonly deps: readonly string[];
}

export interface Plan {
  /** Recipes built from a local source instead of their pinned one. */
  readonly overridden: ReadonlySet<string>;
  /** The selected recipes and everything they need, dependencies first. */
  readonly recipes: readonly Recipe[];
  /** Every task, in an order where dependencies come first. */
  readonly tasks: ReadonlyMap<string, PlannedTask>;
}

export const taskId = (recipe: string, kind: TaskKind): string => `${recipe}:${kind}`;

/**
 * The task kinds a recipe expands to: the ones it has something to do for. A recipe built from a
 * local override (`--source`) is used as it is: nothing to fetch, nothing to patch.
 */
export function kindsOf(recipe: Recipe, overridden = false): TaskKind[] {
  const patches = recipe.patchDir !== undefined || (recipe.source?.alternates ?? []).some((a) => a.patches !== undefined);
  const has: Record<TaskKind, boolean> = {
    fetch: recipe.source !== undefined && !overridden,
    unpack: recipe.source !== undefined,
    patch: recipe.source !== undefined && !overridden && patches,
    configure: recipe.configure.length > 0,
    build: recipe.build.length > 0,
    install: recipe.install.length > 0,
    osabi: recipe.osabi.length > 0 && recipe.install.length > 0,
    package: recipe.package !== undefined,
  };
  return TASK_KINDS.filter((kind) => has[kind]);
}

/**
 * The recipe whose source tree, build folder and stage a recipe's steps use: its own, or the one
 * it continues.
 */
export const treeOwner = (recipe: Pick<Recipe, 'name' | 'continues'>): string => recipe.continues ?? recipe.name;

/** The recipes of a plan that continue `name`'s tree. */
export function continuersOf(recipes: readonly Recipe[], name: string): Recipe[] {
  return recipes.filter((recipe) => recipe.continues === name);
}

/** The last task of a recipe that writes its build folder (what a recipe continuing it waits for). */
function lastTreeTask(recipe: Recipe): TaskKind | undefined {
  return kindsOf(recipe).filter((kind) => TREE_KINDS.has(kind)).at(-1);
}

/**
 * The task whose completion makes a recipe usable by others: its image is final (after osabi)
 * or, for a source-only recipe, its tree is unpacked and patched.
 */
export function readyKind(recipe: Recipe, overridden = false): TaskKind | undefined {
  return kindsOf(recipe, overridden)
    .filter((kind) => kind !== 'package')
    .at(-1);
}

/**
 * Orders the selected recipes and their transitive needs so that needs come first. A need that
 * does not exist and a cycle are errors; the cycle is printed as `a -> b -> a`.
 */
export function orderRecipes(recipes: ReadonlyMap<string, Recipe>, selected: readonly string[]): Recipe[] {
  const order: Recipe[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const stack: string[] = [];

  const visit = (name: string, neededBy: Recipe | undefined): void => {
    const recipe = recipes.get(name);
    if (!recipe) {
      if (neededBy) throw new PlanError(`recipe ${neededBy.name} needs "${name}", which does not exist (${neededBy.file})`);
      throw new PlanError(`no recipe named "${name}" (known: ${[...recipes.keys()].join(', ')})`);
    }
    const seen = state.get(name);
    if (seen === 'done') return;
    if (seen === 'visiting') {
      const cycle = [...stack.slice(stack.indexOf(name)), name];
      throw new PlanError(`the needs of these recipes form a cycle: ${cycle.join(' -> ')}`);
    }
    state.set(name, 'visiting');
    stack.push(name);
    for (const need of recipe.needs) visit(need, recipe);
    stack.pop();
    state.set(name, 'done');
    order.push(recipe);
  };
  for (const name of selected) visit(name, undefined);
  return order;
}

/** Transitive needs of a recipe in dependency order (the stage is built in this order). */
export function transitiveNeeds(recipes: ReadonlyMap<string, Recipe>, name: string): Recipe[] {
  const recipe = recipes.get(name);
  if (!recipe) throw new PlanError(`no recipe named "${name}"`);
  return orderRecipes(recipes, recipe.needs);
}

/**
 * Expands recipes to tasks. Pure: reads nothing but the toolchain it is given. `overridden` names
 * the recipes built from a local source (`--source`).
 */
export function planBuild(toolchain: Pick<Toolchain, 'recipes'>, selected?: readonly string[], overridden: ReadonlySet<string> = new Set()): Plan {
  const names = selected && selected.length > 0 ? selected : [...toolchain.recipes.keys()];
  const recipes = orderRecipes(toolchain.recipes, names);
  for (const name of overridden) {
    const recipe = toolchain.recipes.get(name);
    if (!recipe) throw new PlanError(`--source ${name}: no recipe named "${name}"`);
    if (!recipe.source) throw new PlanError(`--source ${name}: recipe ${name} has no source to replace`);
  }
  const tasks = new Map<string, PlannedTask>();
  for (const recipe of recipes) {
    let previous: string | undefined;
    let needsAttached = false;
    for (const kind of kindsOf(recipe, overridden.has(recipe.name))) {
      const deps: string[] = [];
      // Fetches of all recipes start at once; everything else follows its own recipe's chain.
      if (previous !== undefined) deps.push(previous);
      // The recipe's needs must be ready before its first step that runs with the stage.
      if (!needsAttached && (STAGED_KINDS.has(kind) || kind === 'package')) {
        needsAttached = true;
        for (const need of recipe.needs) {
          const needRecipe = toolchain.recipes.get(need)!;
          const ready = readyKind(needRecipe, overridden.has(need));
          if (ready) deps.push(taskId(need, ready));
        }
        // Its ready task may come from the artifact cache while its build folder is still
        // being made for this recipe: wait for the folder itself too.
        const continued = recipe.continues === undefined ? undefined : toolchain.recipes.get(recipe.continues)!;
        const treeTask = continued && lastTreeTask(continued);
        if (continued && treeTask && !deps.includes(taskId(continued.name, treeTask))) deps.push(taskId(continued.name, treeTask));
      }
      const id = taskId(recipe.name, kind);
      tasks.set(id, { id, recipe: recipe.name, kind, deps });
      previous = id;
    }
  }
  return { recipes, tasks, overridden };
}

/** Direct dependents of every task. */
function dependentsMap(plan: Plan): Map<string, string[]> {
  const dependents = new Map<string, string[]>();
  for (const task of plan.tasks.values()) {
    for (const dep of task.deps) dependents.set(dep, [...(dependents.get(dep) ?? []), task.id]);
  }
  return dependents;
}

/** Every task that depends on one of `ids`, directly or not. */
export function dependentsOf(plan: Plan, ids: Iterable<string>): Set<string> {
  const dependents = dependentsMap(plan);
  const found = new Set<string>();
  const queue = [...ids];
  while (queue.length > 0) {
    for (const next of dependents.get(queue.pop()!) ?? []) {
      if (!found.has(next)) {
        found.add(next);
        queue.push(next);
      }
    }
  }
  return found;
}

/** Slots a task takes from the job budget: downloads wait on the network, not the CPU. */
export const jobSlots = (kind: TaskKind): 0 | 1 => (kind === 'fetch' ? 0 : 1);

/** Scheduling weight: roughly how long a kind of task keeps the machine busy. */
const WEIGHT: Record<TaskKind, number> = { fetch: 1, unpack: 1, patch: 1, configure: 3, build: 20, install: 2, osabi: 1, package: 1 };

/**
 * Priority of each task: the heaviest chain of work that waits for it (critical path), so the
 * scheduler starts the tasks that hold up the most work first.
 */
export function criticalPath(plan: Plan): Map<string, number> {
  const priority = new Map<string, number>();
  const dependents = dependentsMap(plan);
  const ordered = [...plan.tasks.values()].reverse();
  for (const task of ordered) {
    const below = Math.max(0, ...(dependents.get(task.id) ?? []).map((d) => priority.get(d) ?? 0));
    priority.set(task.id, below + WEIGHT[task.kind]);
  }
  return priority;
}
