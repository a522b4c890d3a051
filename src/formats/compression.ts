/**
 * The compressions a .deb member may have. The names are what the profile and `--compress`
 * accept, so recipes and the command line depend on this list, not on the compressors.
 */
export const COMPRESSIONS = ['xz', 'gz', 'zst', 'none'] as const;
export type Compression = (typeof COMPRESSIONS)[number];

/** The member name suffix: data.tar.xz, data.tar.gz, data.tar.zst, data.tar. */
export function memberSuffix(compression: Compression): string {
  return compression === 'none' ? '' : `.${compression}`;
}
