import path from 'node:path';
import { executeBuild, isUpToDate, prepareBuild, type Prepared } from '../build/execute.js';
import { UserError } from '../errors.js';
import { CounterBudget } from '../graph/budget.js';
import type { Plan, PlannedTask } from '../graph/plan.js';
import { PackageError } from '../package/recipe-deb.js';
import { packTree } from '../package/tree-deb.js';
import { loadProfile } from '../recipes/load.js';
import { PROFILE_FILE } from '../recipes/profile.js';
import { summaryLine } from '../ui/reporter.js';
import { chooseReporter, printFailure } from './build.js';
import { PACKAGE_ROOT, resolveContext, type GlobalOptions } from './context.js';
import { outDirOf, parseCompression, refreshIndex, withPackaging, type PackagingOptions } from './packaging.js';

export interface PackageCommandOptions extends GlobalOptions, PackagingOptions {
  readonly tree?: string | undefined;
}

/** Packs a ready tree (`--tree`): dpkg-deb -b with --root-owner-group, our compression and order. */
async function packTreeCommand(options: PackageCommandOptions): Promise<number> {
  const toolchainDir = path.resolve(options.toolchain ?? PACKAGE_ROOT);
  const profile = await loadProfile(options.config ? path.resolve(options.config) : path.join(toolchainDir, PROFILE_FILE));
  // Like dpkg-deb, SOURCE_DATE_EPOCH from the environment wins; the profile's otherwise.
  const fromEnv = process.env.SOURCE_DATE_EPOCH;
  if (fromEnv !== undefined && !/^\d+$/.test(fromEnv)) throw new UserError(`SOURCE_DATE_EPOCH must be a whole number of seconds, not "${fromEnv}"`);
  const epoch = fromEnv !== undefined ? Number(fromEnv) : profile.sourceDateEpoch;
  const compression = options.compress === undefined ? profile.compression : parseCompression(options.compress);
  try {
    const packed = await packTree(path.resolve(options.tree!), outDirOf(options), { compression, epoch });
    process.stdout.write(`wrote ${packed.file}\n`);
    return 0;
  } catch (error) {
    if (error instanceof PackageError) throw new UserError(error.message, { details: error.details, cause: error });
    throw error;
  }
}

/**
 * Only the package tasks of the named recipes (a plan also holds what they need), without their
 * dependencies: their inputs, the images, are on disk already.
 */
function packagePlan(plan: Plan, names: readonly string[]): Plan {
  const tasks = new Map<string, PlannedTask>();
  for (const task of plan.tasks.values()) if (task.kind === 'package' && names.includes(task.recipe)) tasks.set(task.id, { ...task, deps: [] });
  return { recipes: plan.recipes, tasks };
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
 * the images of the last build, then the apt index; `package --tree DIR` packs a ready tree.
 */
export async function packageCommand(recipes: string[], options: PackageCommandOptions): Promise<number> {
  if (options.tree !== undefined) {
    if (recipes.length > 0) throw new UserError('package --tree packs one tree: name no recipes with it');
    return packTreeCommand(options);
  }
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
  const outcome = await executeBuild(
    { ...prepared, plan: packagePlan(prepared.plan, packaged) },
    { budget: new CounterBudget(context.jobs), reporter: chooseReporter(), keepGoing: true },
  );
  for (const { error } of outcome.errors) printFailure(error);
  process.stdout.write(`${summaryLine(outcome)}\n`);
  await refreshIndex(outDir, toolchain.profile, options.sign);
  return outcome.failed > 0 ? 1 : 0;
}
