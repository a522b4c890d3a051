import { readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { TaskError } from '../errors.js';
import { PackageError } from '../package/errors.js';
import { buildRecipePackage, ownVersions } from '../package/recipe-deb.js';
import { appendLog } from '../process/run.js';
import { recipeOf } from './context.js';
import type { TaskKindModule } from './kind.js';

/** What the package task wrote: the .deb's name is known only once the image has been read. */
interface OutputRecord {
  readonly file: string;
  readonly size: number;
}

/**
 * package: the recipe's image becomes `<out>/NAME_VERSION_ARCH.deb`. The task records what it
 * wrote; the record is how a later run knows the package is still there. It has no `touch`: a
 * package is cheap and has real contents, so `--touch` builds it for real.
 */
export const packageKind: TaskKindModule = {
  kind: 'package',
  keyFields(recipe, inputs) {
    const { profile } = inputs;
    const versions = Object.fromEntries([...inputs.recipes.values()].filter((r) => r.package !== undefined).map((r) => [r.package!.name, r.version]));
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
      // Facts of the host (the symbols files behind a Depends, the strip and xz used) are
      // not inputs here: a rebuilt image repacks, an upgraded host alone does not.
    };
  },
  async outputsPresent(ctx, task) {
    try {
      const record = JSON.parse(await readFile(ctx.layout.packageRecord(task.recipe), 'utf8')) as OutputRecord;
      const stats = await stat(path.join(ctx.outDir, record.file));
      return stats.isFile() && stats.size === record.size;
    } catch {
      return false;
    }
  },
  async run(ctx, task, _signal, logFile) {
    const recipe = recipeOf(ctx, task);
    try {
      const built = await buildRecipePackage({
        recipe,
        profile: ctx.toolchain.profile,
        own: ownVersions(ctx.toolchain.recipes.values(), ctx.toolchain.profile),
        imageDir: ctx.layout.image(recipe.name),
        outDir: ctx.outDir,
        scratchDir: ctx.layout.shlibdeps(recipe.name),
        log: (line) => appendLog(logFile, line),
      });
      const record: OutputRecord = { file: path.basename(built.file), size: built.size };
      await writeFile(ctx.layout.packageRecord(recipe.name), `${JSON.stringify(record)}\n`);
    } catch (error) {
      const details = error instanceof PackageError ? error.details : [];
      await appendLog(logFile, [error instanceof Error ? error.message : String(error), ...details].join('\n'));
      throw new TaskError(recipe.name, 'package', error instanceof Error ? error.message : String(error), { logPath: logFile, details, cause: error });
    }
  },
};
