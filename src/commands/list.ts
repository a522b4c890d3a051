import { isUpToDate, prepareBuild } from '../engine/execute.js';
import { imageTask, unneededTasks } from '../plan/leave-out.js';
import { taskId } from '../plan/plan.js';
import { resolveContext, type GlobalOptions } from './context.js';

/** One row per recipe: version, package, and how many of its tasks a build would run. */
export async function listCommand(options: GlobalOptions): Promise<number> {
  const context = await resolveContext(options);
  const prepared = await prepareBuild(context);
  // A recipe whose image is up to date (built, or restored from the cache) needs no earlier task.
  const satisfied = new Set<string>();
  for (const recipe of prepared.plan.recipes) {
    const image = imageTask(recipe);
    if (image && (await isUpToDate(prepared, prepared.plan.tasks.get(taskId(recipe.name, image))!))) satisfied.add(recipe.name);
  }
  const unneeded = unneededTasks(prepared.plan, satisfied);
  const rows: string[][] = [['RECIPE', 'VERSION', 'PACKAGE', 'STATE']];
  for (const recipe of [...context.toolchain.recipes.values()]) {
    const tasks = [...prepared.plan.tasks.values()].filter((t) => t.recipe === recipe.name);
    let stale = 0;
    for (const task of tasks) if (!unneeded.has(task.id) && !(await isUpToDate(prepared, task))) stale += 1;
    const state = tasks.length === 0 ? 'nothing to do' : stale === 0 ? 'up to date' : `${stale} of ${tasks.length} tasks to run`;
    rows.push([recipe.name, recipe.version, recipe.package?.name ?? '-', state]);
  }
  const widths = rows[0]!.map((_, col) => Math.max(...rows.map((row) => row[col]!.length)));
  for (const row of rows) process.stdout.write(`${row.map((cell, col) => cell.padEnd(widths[col]!)).join('  ').trimEnd()}\n`);
  return 0;
}
