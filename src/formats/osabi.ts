/**
 * ELF OS/ABI values (e_ident[EI_OSABI]) by the names binutils 2.40's elfedit accepts, plus the
 * two HermitCore uses: HermitCore (0x42, the original toolchain's value and binfmt magic) and
 * Standalone (0xFF, what libhermit 0.2.x and its proxy check for).
 */
export const OSABI_NAMES: ReadonlyArray<readonly [name: string, value: number]> = [
  ['none', 0],
  ['HPUX', 1],
  ['NetBSD', 2],
  ['GNU', 3],
  ['Linux', 3],
  ['Solaris', 6],
  ['AIX', 7],
  ['Irix', 8],
  ['FreeBSD', 9],
  ['TRU64', 10],
  ['Modesto', 11],
  ['OpenBSD', 12],
  ['OpenVMS', 13],
  ['NSK', 14],
  ['AROS', 15],
  ['FenixOS', 16],
  ['HermitCore', 0x42],
  ['Standalone', 0xff],
];

/** A name (case-insensitive, as elfedit matches it) or a number 0-255 (decimal or 0x hex). */
export function parseOsabi(value: string | number): number | undefined {
  if (typeof value === 'number') return Number.isInteger(value) && value >= 0 && value <= 255 ? value : undefined;
  const trimmed = value.trim();
  if (/^(0x[0-9a-f]+|\d+)$/i.test(trimmed)) return parseOsabi(Number(trimmed));
  return OSABI_NAMES.find(([name]) => name.toLowerCase() === trimmed.toLowerCase())?.[1];
}

/** The display name of a value: the first name elfedit knows it by, or undefined. */
export function osabiName(value: number): string | undefined {
  return OSABI_NAMES.find(([, v]) => v === value)?.[0];
}
