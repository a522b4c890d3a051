/**
 * How much disk a recipe takes: in the work directory (unpacked source, build tree, install
 * image, staged needs and its .deb) and in the download cache. `basis` says where a number comes
 * from: `measured` figures are `du -sm` of a real build of our recipes on Debian 12 (x86_64,
 * default flags); `estimate` figures are researched or extrapolated, and say from what.
 */
export interface DiskEstimate {
  /** MiB in <work>/{src,obj,image,stage,out} for this recipe. */
  readonly workMiB: number;
  /** MiB of downloads in the cache. */
  readonly cacheMiB: number;
  readonly basis: 'measured' | 'estimate';
  readonly note: string;
}

export const DISK_ESTIMATES: Readonly<Record<string, DiskEstimate>> = {
  binutils: {
    workMiB: 700,
    cacheMiB: 24,
    basis: 'estimate',
    note: 'binutils 2.40: tarball 24 MiB (xz), unpacked ~330 MiB, build tree ~250 MiB, image ~85 MiB',
  },
  'gcc-bootstrap': {
    workMiB: 3200,
    cacheMiB: 81,
    basis: 'estimate',
    note: 'gcc 12.2.0 all-gcc only: unpacked ~970 MiB, build tree ~1.5 GiB, image ~550 MiB',
  },
  gcc: {
    workMiB: 6144,
    cacheMiB: 81,
    basis: 'estimate',
    note: 'gcc 12.2.0 with libgcc and libstdc++: the build tree alone is ~4 GiB',
  },
  newlib: {
    workMiB: 900,
    cacheMiB: 18,
    basis: 'estimate',
    note: 'newlib 3.3.0: unpacked ~200 MiB, build tree ~500 MiB with every libm/libc object',
  },
  'pthread-embedded': { workMiB: 60, cacheMiB: 2, basis: 'estimate', note: 'a small C library' },
  lwip: { workMiB: 40, cacheMiB: 3, basis: 'estimate', note: 'sources consumed by libhermit' },
  libhermit: { workMiB: 300, cacheMiB: 10, basis: 'estimate', note: 'kernel, proxy and loader; CMake build' },
};

/** What a recipe without an entry is assumed to take. */
export const DEFAULT_ESTIMATE: DiskEstimate = { workMiB: 256, cacheMiB: 16, basis: 'estimate', note: 'no figure for this recipe; a small package' };

export function estimateFor(recipe: string): DiskEstimate {
  return DISK_ESTIMATES[recipe] ?? DEFAULT_ESTIMATE;
}

/** Total MiB the given recipes need in the work directory and in the cache. */
export function diskNeeds(recipes: Iterable<string>): { workMiB: number; cacheMiB: number } {
  let workMiB = 0;
  let cacheMiB = 0;
  for (const recipe of recipes) {
    const estimate = estimateFor(recipe);
    workMiB += estimate.workMiB;
    cacheMiB += estimate.cacheMiB;
  }
  return { workMiB, cacheMiB };
}
