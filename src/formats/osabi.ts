import { ArError, isArchive, isThinArchive, scanArchive, type ArEntry } from './ar.js';
import { EI_OSABI, ElfError, hasElfMagic, parseElfHeader } from './elf.js';

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

/** How values are shown to people: `Standalone (0xff)`, `unknown (0x61)`. */
export function describeOsabi(value: number): string {
  return `${osabiName(value) ?? 'unknown'} (0x${value.toString(16).padStart(2, '0')})`;
}

/** One ELF header in a file: the file itself, or a member of an archive. */
export interface OsabiSite {
  /** The archive member (its name is read from the bytes when asked for); undefined for a lone ELF file. */
  readonly entry: ArEntry | undefined;
  /** Where the OS/ABI byte is, counted from the start of the file. */
  readonly offset: number;
  readonly value: number;
}

export interface OsabiProblem {
  /** The name of the archive member the problem is in; undefined when it concerns the whole file. */
  readonly member: string | undefined;
  readonly problem: string;
}

/** How a file or one of its members is named to people: `a.o`, or `libc.a(printf.o)` like binutils does. */
export function osabiLabel(file: string, member: string | undefined): string {
  return member === undefined ? file : `${file}(${member})`;
}

/**
 * Every OS/ABI byte of a lone ELF file or of each member of an ar archive, and everything that
 * stands in the way of changing them. A caller that writes must do so only when `problems` is
 * empty: a file is changed whole or not at all.
 */
export interface OsabiLocations {
  readonly kind: 'elf' | 'archive' | 'other';
  readonly sites: readonly OsabiSite[];
  readonly problems: readonly OsabiProblem[];
}

function elfSite(bytes: Uint8Array, start: number, length: number, entry: ArEntry | undefined): OsabiSite | OsabiProblem {
  try {
    return { entry, offset: start + EI_OSABI, value: parseElfHeader(bytes, start, length).osabi };
  } catch (error) {
    if (error instanceof ElfError) return { member: entry?.name, problem: error.message };
    throw error;
  }
}

const fileProblem = (kind: OsabiLocations['kind'], problem: string): OsabiLocations => ({ kind, sites: [], problems: [{ member: undefined, problem }] });

/** Finds the OS/ABI bytes in the contents of a file. Member names are read from `bytes` when asked for. */
export function locateOsabi(bytes: Uint8Array): OsabiLocations {
  if (isThinArchive(bytes)) return fileProblem('other', 'thin archive: its members live in other files, change those instead');
  if (!isArchive(bytes)) {
    if (!hasElfMagic(bytes)) return fileProblem('other', 'neither an ELF file nor an ar archive');
    const site = elfSite(bytes, 0, bytes.length, undefined);
    return 'problem' in site ? { kind: 'elf', sites: [], problems: [site] } : { kind: 'elf', sites: [site], problems: [] };
  }
  let archive;
  try {
    archive = scanArchive(bytes);
  } catch (error) {
    if (error instanceof ArError) return fileProblem('archive', `corrupt archive: ${error.message}`);
    throw error;
  }
  const sites: OsabiSite[] = [];
  const problems: OsabiProblem[] = [];
  for (const entry of archive.entries) {
    if (entry.kind !== 'file') continue;
    const found = elfSite(bytes, entry.dataOffset, entry.size, entry);
    if ('problem' in found) problems.push(found);
    else sites.push(found);
  }
  return { kind: 'archive', sites, problems };
}
