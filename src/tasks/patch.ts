import { rm } from 'node:fs/promises';
import { TaskError } from '../errors.js';
import { PatchError, applyPatches, listPatches } from '../sources/patch.js';
import { availableArtifact, patchDirsFor, type Artifact } from '../sources/source.js';
import { appendLog } from '../process/run.js';
import { recipeOf, stepEnv } from './context.js';
import type { TaskKindModule } from './kind.js';
import { exists } from '../exists.js';
import { recordTree } from '../sources/tree-listing.js';
import { touchTree, treePresent, unpackFresh } from './unpack.js';

/**
 * patch: the recipe's patch series (and its alternate's), all or nothing, always on a tree fresh
 * from unpacking: a changed series is never applied on top of the previous one.
 */
export const patch: TaskKindModule = {
  kind: 'patch',
  keyFields: (recipe, inputs) => ({ patches: (inputs.patches.get(recipe.name) ?? []).map((p) => [p.name, p.sha256]) }),
  outputsPresent: (ctx, task) => treePresent(ctx, recipeOf(ctx, task)),
  async run(ctx, task, signal, logFile) {
    const recipe = recipeOf(ctx, task);
    const src = ctx.layout.src(recipe.name);
    const pristine = ctx.layout.pristine(recipe.name);
    let artifact: Artifact | undefined;
    if (await exists(pristine)) {
      artifact = await availableArtifact(ctx.sources, recipe);
    } else {
      await appendLog(logFile, 'the source tree was patched before: unpacking it afresh');
      artifact = await unpackFresh(ctx, task, logFile, signal);
    }
    await rm(pristine, { force: true });
    try {
      for (const dir of patchDirsFor(ctx.sources, recipe, artifact)) {
        await appendLog(logFile, `applying the patches of ${dir}`);
        await applyPatches(src, await listPatches(dir), logFile, stepEnv(ctx, recipe));
      }
      await recordTree(src, ctx.layout.treeListing(recipe.name));
    } catch (error) {
      // Never leave a half-patched tree: without a tree, the next run unpacks again.
      await rm(src, { recursive: true, force: true });
      if (error instanceof PatchError) {
        throw new TaskError(recipe.name, 'patch', error.message, { logPath: logFile, details: error.details, cause: error });
      }
      throw error;
    }
  },
  touch: (ctx, task) => touchTree(ctx, recipeOf(ctx, task)),
};
