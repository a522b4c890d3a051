import type { Recipe } from '../recipes/schema.js';

/**
 * How much disk a recipe takes: in the work directory (unpacked source, build tree, install
 * image, staged needs and its .deb) and in the download cache. The figures are the recipes' own
 * (`host.disk`, see src/recipes/schema.ts), which say whether they were measured.
 */
export interface DiskEstimate {
  /** MiB in <work>/{src,obj,image,stage,out} for this recipe. */
  readonly workMiB: number;
  /** MiB of downloads in the cache. */
  readonly cacheMiB: number;
  readonly basis: 'measured' | 'estimate';
}

/** What a recipe without figures is assumed to take: a small package. */
export const DEFAULT_ESTIMATE: DiskEstimate = { workMiB: 256, cacheMiB: 16, basis: 'estimate' };

export function estimateFor(recipe: Pick<Recipe, 'host'>): DiskEstimate {
  const disk = recipe.host?.disk;
  return disk ? { workMiB: disk['work-mib'], cacheMiB: disk['cache-mib'], basis: disk.basis } : DEFAULT_ESTIMATE;
}

/** Total MiB the given recipes need in the work directory and in the cache, and how many figures were measured. */
export function diskNeeds(recipes: Iterable<Pick<Recipe, 'host'>>): { workMiB: number; cacheMiB: number; measured: number } {
  let workMiB = 0;
  let cacheMiB = 0;
  let measured = 0;
  for (const recipe of recipes) {
    const estimate = estimateFor(recipe);
    workMiB += estimate.workMiB;
    cacheMiB += estimate.cacheMiB;
    if (estimate.basis === 'measured') measured += 1;
  }
  return { workMiB, cacheMiB, measured };
}
