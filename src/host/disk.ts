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
  // Measured 2026-11-23: `du -sm` of a complete build of the binutils and gcc-bootstrap recipes
  // (branch gnu) on this Debian 12 machine; the staged needs are hard links and take no space.
  binutils: {
    workMiB: 619,
    cacheMiB: 23,
    basis: 'measured',
    note: 'binutils 2.40: src 333 MiB + obj 203 MiB + image 83 MiB; tarball 23 MiB (binutils-2.40.tar.xz)',
  },
  'gcc-bootstrap': {
    workMiB: 3014,
    cacheMiB: 81,
    basis: 'measured',
    note: 'gcc 12.2.0, all-gcc only: src 968 MiB + obj 1494 MiB + image 552 MiB; tarball ~81 MiB (gcc-12.2.0.tar.xz)',
  },
  gcc: {
    workMiB: 6144,
    cacheMiB: 81,
    basis: 'estimate',
    note: 'gcc 12.2.0 with libgcc and libstdc++ for the target: the bootstrap\'s 3 GiB plus the target libraries\' build tree and a larger image',
  },
  newlib: {
    workMiB: 900,
    cacheMiB: 18,
    basis: 'estimate',
    note: 'newlib 3.3.0: unpacked ~100 MiB (measured), build tree and image of libc/libm for one multilib',
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

/** Total MiB the given recipes need in the work directory and in the cache, and how many figures were measured. */
export function diskNeeds(recipes: Iterable<string>): { workMiB: number; cacheMiB: number; measured: number } {
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
