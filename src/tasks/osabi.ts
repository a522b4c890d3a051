import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { TaskError } from '../errors.js';
import { osabiLabel } from '../formats/osabi.js';
import { expandString, type PlaceholderValues } from '../recipes/expand.js';
import type { Recipe } from '../recipes/schema.js';
import { describeSetResult, setOsabi } from '../elfedit/osabi.js';
import { appendLog } from '../process/run.js';
import { expandSteps, placeholderValues, recipeOf, type BuildContext } from './context.js';
import type { TaskKindModule } from './kind.js';
import { exists } from '../exists.js';
import { TAIL_LINES } from './steps.js';

/**
 * The files of a recipe's image that its `osabi` globs name. Globs are written as installed
 * paths (`{prefix}/{target}/lib/*.a`) and looked up inside the image. A glob that matches
 * nothing is an error, so that a typo cannot quietly leave a library unstamped.
 */
async function osabiFiles(ctx: BuildContext, recipe: Recipe, logFile: string): Promise<string[]> {
  const image = ctx.layout.image(recipe.name);
  // Loaded here: a build with nothing to stamp need not load it.
  const { escapePath, glob } = await import('tinyglobby');
  // Placeholder values are escaped: a prefix with glob characters in it means itself.
  const values = Object.fromEntries(Object.entries(placeholderValues(ctx, recipe)).map(([k, v]) => [k, escapePath(v)])) as PlaceholderValues;
  const files = new Set<string>();
  for (const [index, written] of recipe.osabi.entries()) {
    const scope = { recipe: recipe.name, step: `osabi glob ${index + 1}`, values, sourceOf: () => undefined };
    const pattern = expandString(written, scope).replace(/^\/+/, '');
    if (pattern.split('/').includes('..')) {
      throw new TaskError(recipe.name, 'osabi', `glob "${written}" leaves the image (it has a .. part)`, { logPath: logFile });
    }
    // Symbolic links match nothing (tinyglobby leaves them out when not following them): one
    // may point out of the image, and one that points into it names a file a glob can name.
    const matches = await glob(pattern, { cwd: image, dot: true, expandDirectories: false, followSymbolicLinks: false, onlyFiles: true });
    if (matches.length === 0) {
      throw new TaskError(recipe.name, 'osabi', `glob "${written}" matched no file in the image (looked for ${pattern} in ${image}; symbolic links do not count)`, {
        logPath: logFile,
      });
    }
    for (const match of matches) files.add(match);
  }
  return [...files].sort();
}

/** osabi: the profile's OS/ABI on the files the recipe's `osabi` globs name, after install. */
export const osabi: TaskKindModule = {
  kind: 'osabi',
  // The globs use placeholders too (a step each, for the error message).
  check: (ctx, recipe) => void expandSteps(ctx, recipe, 'osabi', recipe.osabi.map((glob) => [glob])),
  keyFields: (recipe, inputs) => ({ globs: recipe.osabi, osabi: inputs.profile.osabiValue, prefix: inputs.profile.prefix, target: inputs.profile.target }),
  outputsPresent: (ctx, task) => exists(ctx.layout.image(task.recipe)),
  async run(ctx, task, _signal, logFile) {
    const recipe = recipeOf(ctx, task);
    const image = ctx.layout.image(recipe.name);
    const value = ctx.toolchain.profile.osabiValue;
    const files = await osabiFiles(ctx, recipe, logFile);
    const results = await setOsabi(files.map((file) => path.join(image, file)), { value });
    const lines = results.map((result, i) => describeSetResult({ ...result, file: files[i]! }, value));
    await appendLog(logFile, lines.join('\n'));
    const refused = results.flatMap((result, i) => result.problems.map((p) => `${osabiLabel(files[i]!, p.member)}: ${p.problem}`));
    if (refused.length > 0) {
      throw new TaskError(recipe.name, 'osabi', `cannot set the OS/ABI of ${results.filter((r) => r.problems.length > 0).length} file(s) in the image`, {
        logPath: logFile,
        details: refused.slice(0, TAIL_LINES),
      });
    }
  },
  async touch(ctx, task) {
    await mkdir(ctx.layout.image(task.recipe), { recursive: true });
  },
};
