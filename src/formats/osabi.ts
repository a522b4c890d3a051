import { ArError, ArchiveIndex, isArchive, isThinArchive, quickFileContents } from './ar.js';
import { EI_OSABI, elfHeaderProblem, hasElfMagic, isSoundElfHeader } from './elf.js';

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
  /**
   * Where each OS/ABI byte is, counted from the start of the file, in file order; the value is
   * the byte there. Numbers rather than an object per header: libc.a has two thousand.
   */
  readonly offsets: Uint32Array;
  /**
   * The archive member that holds offsets[i], or undefined for a lone ELF file. Read from the
   * bytes the offsets were found in: ask while they are still at hand. Throws an ArError when
   * the archive's names are broken (finding the offsets does not read names).
   */
  member(i: number): string | undefined;
  readonly problems: readonly OsabiProblem[];
}

const noMember = (): undefined => undefined;

const fileProblem = (kind: OsabiLocations['kind'], problem: string): OsabiLocations => ({
  kind,
  offsets: new Uint32Array(0),
  member: noMember,
  problems: [{ member: undefined, problem }],
});

/** Where the OS/ABI byte of the header at `at` is, or -1 when the header is not sound. */
function osabiOffsetIn(bytes: Uint8Array, at: number, length: number): number {
  return isSoundElfHeader(bytes, at, length) ? at + EI_OSABI : -1;
}

/** Finds the OS/ABI bytes in the contents of a file. */
export function locateOsabi(bytes: Uint8Array): OsabiLocations {
  if (isThinArchive(bytes)) return fileProblem('other', 'thin archive: its members live in other files, change those instead');
  if (!isArchive(bytes)) {
    if (!hasElfMagic(bytes)) return fileProblem('other', 'neither an ELF file nor an ar archive');
    const problem = elfHeaderProblem(bytes, 0, bytes.length);
    return problem === undefined ? { kind: 'elf', offsets: Uint32Array.of(EI_OSABI), member: noMember, problems: [] } : fileProblem('elf', problem);
  }
  const quick = quickFileContents(bytes, osabiOffsetIn);
  if (quick !== undefined) {
    // Every file member is an ELF file here, so the i-th offset is in the i-th file member.
    let files: number[] | undefined;
    let index: ArchiveIndex | undefined;
    const member = (i: number): string => {
      index ??= new ArchiveIndex(bytes);
      files ??= Array.from({ length: index.count }, (_, m) => m).filter((m) => index!.isFile(m));
      return index.name(files[i]!);
    };
    return { kind: 'archive', offsets: quick, member, problems: [] };
  }
  return locateInArchive(bytes);
}

/**
 * The general path: every member of any archive we read, each problem named. Slower than
 * quickFileContents (about twice, on libc.a), and only taken where that one gives up: the
 * archive is not of the plain GNU kind, or a member is not a sound ELF file.
 */
function locateInArchive(bytes: Uint8Array): OsabiLocations {
  let archive: ArchiveIndex;
  try {
    archive = new ArchiveIndex(bytes);
  } catch (error) {
    if (error instanceof ArError) return fileProblem('archive', `corrupt archive: ${error.message}`);
    throw error;
  }
  const offsets = new Uint32Array(archive.count);
  const members = new Uint32Array(archive.count);
  const problems: OsabiProblem[] = [];
  let found = 0;
  for (let i = 0; i < archive.count; i++) {
    if (!archive.isFile(i)) continue;
    const start = archive.dataOffset(i);
    const problem = elfHeaderProblem(bytes, start, archive.size(i));
    if (problem === undefined) {
      offsets[found] = start + EI_OSABI;
      members[found++] = i;
    } else {
      problems.push({ member: archive.name(i), problem });
    }
  }
  return { kind: 'archive', offsets: offsets.subarray(0, found), member: (i) => archive.name(members[i]!), problems };
}
