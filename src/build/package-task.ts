import { readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { TaskError } from '../errors.js';
import { PackageError } from '../package/errors.js';
import { buildRecipePackage, ownVersions } from '../package/recipe-deb.js';
import { HostPackages } from '../package/shlibs.js';
import type { Recipe } from '../recipes/schema.js';
import { appendLog } from './run.js';
import type { BuildContext } from './tasks.js';

/**
 * The package task: the recipe's image becomes `<out>/NAME_VERSION_ARCH.deb`. Its architecture
 * (and so its name) is only known once the image has been read, so the task records what it
 * wrote; the record is how a later run knows the package is still there.
 */

interface OutputRecord {
  readonly file: string;
  readonly size: number;
}

const recordPath = (ctx: BuildContext, recipe: Recipe): string => path.join(ctx.layout.stateDir(recipe.name), 'package-output.json');

/** Whether the .deb the last run wrote is still in the output folder, whole. */
export async function packageOutputPresent(ctx: BuildContext, recipe: Recipe): Promise<boolean> {
  try {
    const record = JSON.parse(await readFile(recordPath(ctx, recipe), 'utf8')) as OutputRecord;
    const stats = await stat(path.join(ctx.outDir, record.file));
    return stats.isFile() && stats.size === record.size;
  } catch {
    return false;
  }
}

const sharedHost = new HostPackages();

export async function runPackageTask(ctx: BuildContext, recipe: Recipe, logFile: string): Promise<void> {
  try {
    const built = await buildRecipePackage({
      recipe,
      profile: ctx.toolchain.profile,
      own: ownVersions(ctx.toolchain.recipes.values(), ctx.toolchain.profile),
      imageDir: ctx.layout.image(recipe.name),
      outDir: ctx.outDir,
      host: ctx.host ?? sharedHost,
      log: (line) => appendLog(logFile, line),
    });
    const record: OutputRecord = { file: path.basename(built.file), size: built.size };
    await writeFile(recordPath(ctx, recipe), `${JSON.stringify(record)}\n`);
  } catch (error) {
    const details = error instanceof PackageError ? error.details : [];
    await appendLog(logFile, [error instanceof Error ? error.message : String(error), ...details].join('\n'));
    throw new TaskError(recipe.name, 'package', error instanceof Error ? error.message : String(error), { logPath: logFile, details, cause: error });
  }
}
