/**
 * Host tool versions: reading them from `--version` output and header macros, and comparing
 * them. Tool versions are dotted numbers (`3.25.1`, `2.16.01`); anything after the numbers
 * (`-rc1`, `+deb12u1`) is ignored, which is what a minimum-version check needs.
 */

/** The oldest version of a command a full build accepts, and why. */
export interface MinimumVersion {
  readonly version: string;
  readonly why: string;
}

export const MINIMUM_VERSIONS: Readonly<Record<string, MinimumVersion>> = {
  cmake: { version: '3.7', why: 'libhermit\'s CMakeLists.txt' },
  // `--jobserver-auth=R,W` in MAKEFLAGS (what our jobserver hands out) is understood from 4.2 on.
  make: { version: '4.2', why: 'the shared jobserver (--jobserver-auth)' },
  // The top-level configure of binutils and GCC ignores an older makeinfo (and skips the manuals).
  makeinfo: { version: '4.7', why: 'binutils and GCC manuals' },
  // GCC 12's prerequisites page, for sources whose generated files a patch makes stale.
  m4: { version: '1.4.6', why: 'GCC 12 (regenerated files)' },
  flex: { version: '2.5.4', why: 'GCC 12 (regenerated files)' },
  bison: { version: '2.7', why: 'GCC 12 (regenerated files)' },
};

const DOTTED = /(?<![\d.])v?(\d+(?:\.\d+)+)/;

/**
 * The version in a `--version` output: the first dotted number on the first line that has one
 * ("cmake version 3.25.1", "GNU Make 4.3", "NASM version 2.16.01 compiled on ...").
 */
export function parseToolVersion(output: string): string | undefined {
  for (const line of output.split('\n')) {
    const match = DOTTED.exec(line);
    if (match) return match[1];
  }
  return undefined;
}

function numbers(version: string): number[] {
  const match = /^\d+(\.\d+)*/.exec(version.trim());
  if (!match) throw new RangeError(`"${version}" is not a dotted version`);
  return match[0].split('.').map(Number);
}

/** Negative, zero or positive as `a` is older than, equal to or newer than `b` (3.7 = 3.7.0). */
export function compareToolVersions(a: string, b: string): number {
  const [left, right] = [numbers(a), numbers(b)];
  for (let i = 0; i < Math.max(left.length, right.length); i++) {
    const difference = (left[i] ?? 0) - (right[i] ?? 0);
    if (difference !== 0) return difference;
  }
  return 0;
}

export function isAtLeast(found: string, minimum: string): boolean {
  return compareToolVersions(found, minimum) >= 0;
}

/** `#define NAME VALUE` lines of `cc -E -dM` output, by name. */
export function parseMacros(output: string): Map<string, string> {
  const macros = new Map<string, string>();
  for (const line of output.split('\n')) {
    const match = /^#define (\w+)(?:\s+(.*))?$/.exec(line.trim());
    if (match) macros.set(match[1]!, (match[2] ?? '').trim());
  }
  return macros;
}

/** The library version a header announces, from its macros (GMP splits it in three). */
export function headerVersion(header: string, macros: ReadonlyMap<string, string>): string | undefined {
  const unquote = (value: string | undefined): string | undefined => (value === undefined ? undefined : /^"(.*)"$/.exec(value)?.[1]);
  switch (header) {
    case 'gmp.h': {
      const parts = ['__GNU_MP_VERSION', '__GNU_MP_VERSION_MINOR', '__GNU_MP_VERSION_PATCHLEVEL'].map((name) => macros.get(name));
      return parts.every((part) => part !== undefined && /^\d+$/.test(part)) ? parts.join('.') : undefined;
    }
    case 'mpfr.h':
      return unquote(macros.get('MPFR_VERSION_STRING'));
    case 'mpc.h':
      return unquote(macros.get('MPC_VERSION_STRING'));
    default:
      return undefined;
  }
}
