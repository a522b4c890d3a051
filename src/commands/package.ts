import { executeBuild, isUpToDate, prepareBuild, type Prepared } from '../engine/execute.js';
import { UserError } from '../errors.js';
import { CounterBudget } from '../process/budget.js';
import type { Plan, PlannedTask } from '../plan/plan.js';
import { summaryLine } from '../ui/reporter.js';
import { chooseReporter } from '../ui/choose.js';
import { printFailure } from '../ui/failure.js';
import { resolveContext, type GlobalOptions } from './context.js';
import { listenForInterrupts } from './interrupt.js';
import { outDirOf, refreshIndex, withPackaging, type PackagingOptions } from './packaging.js';

export interface PackageCommandOptions extends GlobalOptions, PackagingOptions {}

/**
 * Only the package tasks of the named recipes (a plan also holds what they need), without their
 * dependencies: their inputs, the images, are on disk already.
 */
function packagePlan(plan: Plan, names: readonly string[]): Plan {
  const tasks = new Map<string, PlannedTask>();
  for (const task of plan.tasks.values()) if (task.kind === 'package' && names.includes(task.recipe)) tasks.set(task.id, { ...task, deps: [] });
  return { ...plan, tasks };
}

/** The recipes whose package inputs (the images) are missing or out of date. */
async function unbuilt(prepared: Prepared, names: readonly string[]): Promise<string[]> {
  const missing: string[] = [];
  for (const task of prepared.plan.tasks.values()) {
    if (task.kind !== 'package' || !names.includes(task.recipe)) continue;
    for (const dep of task.deps) {
      const depTask = prepared.plan.tasks.get(dep)!;
      if (!(await isUpToDate(prepared, depTask))) {
        missing.push(task.recipe);
        break;
      }
    }
  }
  return missing;
}

/**
 * `package`: builds the .deb of every recipe with a package section (or of the named ones) from
 * the images of the last build, then the apt index. (`package --tree` is package-tree.ts.)
 */
export async function packageCommand(recipes: string[], options: PackageCommandOptions): Promise<number> {
  const context = await resolveContext(options);
  const toolchain = withPackaging(context.toolchain, options);
  const packaged = recipes.length > 0 ? recipes : [...toolchain.recipes.values()].filter((r) => r.package).map((r) => r.name);
  for (const name of packaged) {
    const recipe = toolchain.recipes.get(name);
    if (!recipe) throw new UserError(`no recipe named "${name}"`);
    if (!recipe.package) throw new UserError(`recipe ${name} has no package section: nothing to package`);
  }
  const outDir = outDirOf(options);
  const prepared = await prepareBuild({ ...context, toolchain, selected: packaged, outDir });
  const missing = await unbuilt(prepared, packaged);
  if (missing.length > 0) {
    throw new UserError(`not built, or changed since the last build: ${missing.join(', ')} (run \`hermit-toolchain build ${missing.join(' ')}\` first)`);
  }
  const interrupt = listenForInterrupts();
  try {
    const outcome = await executeBuild(
      { ...prepared, plan: packagePlan(prepared.plan, packaged) },
      { budget: new CounterBudget(context.jobs), reporter: await chooseReporter(prepared.ctx.layout), keepGoing: true, signal: interrupt.signal },
    );
    const interrupted = interrupt.exitCode();
    if (interrupted === undefined) for (const { error } of outcome.errors) printFailure(error);
    process.stdout.write(`${summaryLine(outcome)}\n`);
    if (interrupted !== undefined) {
      interrupt.endIfHungUp();
      return interrupted;
    }
    await refreshIndex(outDir, toolchain.profile, options.sign, outcome);
    return outcome.failed > 0 ? 1 : 0;
  } finally {
    interrupt.dispose();
  }
}
