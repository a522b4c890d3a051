import { jobSlots, kindsOf } from '../plan/plan.js';
import type { Recipe } from '../recipes/schema.js';

/** A host command a build needs, and the recipes that need it. */
export interface ToolRequirement {
  readonly command: string;
  /** Recipe names, sorted. */
  readonly neededBy: readonly string[];
}

/**
 * Tarballs are unpacked by GNU tar, fed by the decompressor of their format; find then checks
 * the tree for what no source may hold (devices, setuid files).
 */
const TARBALL = /\.(tar|tar\.\w+|t[gx]z|tbz2?|tzst)$/;
const UNPACKERS: ReadonlyArray<readonly [suffix: RegExp, command: string]> = [
  [TARBALL, 'tar'],
  [TARBALL, 'find'],
  [/\.(tar\.gz|tgz)$/, 'gzip'],
  [/\.(tar\.xz|txz)$/, 'xz'],
  [/\.(tar\.bz2|tbz2?)$/, 'bzip2'],
  [/\.(tar\.zst|tzst)$/, 'zstd'],
];

/** Commands a step runs by name (not through a path or a placeholder such as {src}/configure). */
function stepCommands(recipe: Recipe): string[] {
  return [...recipe.configure, ...recipe.build, ...recipe.install]
    .map((step) => step[0]!)
    .filter((command) => !command.includes('/') && !command.includes('{'));
}

/**
 * What a recipe needs of the host beyond its `tools` list: cc to build the step spawner
 * (process/spawner-binary.ts), which runs its steps and GNU patch and makes the job slots' FIFO
 * that every task but a fetch takes a slot of, what its steps run by name, patch for a patch
 * series, git for a git source, tar and the decompressor of its tarball (a zip is read
 * natively), and for a packaged recipe what packaging runs (the compressor, strip for host
 * binaries, dpkg, and dpkg-shlibdeps for shared-library dependencies).
 */
export function impliedTools(recipe: Recipe, packageCompressor: string | undefined): string[] {
  const commands = stepCommands(recipe);
  const tools = [...(kindsOf(recipe).some((kind) => jobSlots(kind) > 0) ? ['cc'] : []), ...commands];
  if (recipe.patches !== undefined) tools.push('patch');
  if (recipe.source?.git) tools.push('git');
  const file = recipe.source?.file ?? recipe.source?.url ?? '';
  for (const [suffix, command] of UNPACKERS) if (suffix.test(file)) tools.push(command);
  if (recipe.package) {
    if (packageCompressor) tools.push(packageCompressor);
    tools.push('strip', 'dpkg', 'dpkg-shlibdeps');
  }
  return tools;
}

/** Every command of every recipe (declared or implied), in name order. */
export function toolRequirements(recipes: Iterable<Recipe>, packageCompressor: string | undefined): ToolRequirement[] {
  const byCommand = new Map<string, Set<string>>();
  for (const recipe of recipes) {
    for (const command of [...recipe.tools, ...impliedTools(recipe, packageCompressor)]) {
      const users = byCommand.get(command) ?? new Set<string>();
      users.add(recipe.name);
      byCommand.set(command, users);
    }
  }
  return [...byCommand.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([command, users]) => ({ command, neededBy: [...users].sort() }));
}
