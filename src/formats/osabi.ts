import { AR_HEADER_SIZE, AR_MAGIC, ArError, ArchiveIndex, headerNumber, isArchive, isThinArchive } from './ar.js';
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

/** Finds the OS/ABI bytes in the contents of a file. */
export function locateOsabi(bytes: Uint8Array): OsabiLocations {
  if (isThinArchive(bytes)) return fileProblem('other', 'thin archive: its members live in other files, change those instead');
  if (!isArchive(bytes)) {
    if (!hasElfMagic(bytes)) return fileProblem('other', 'neither an ELF file nor an ar archive');
    const problem = elfHeaderProblem(bytes, 0, bytes.length);
    return problem === undefined ? { kind: 'elf', offsets: Uint32Array.of(EI_OSABI), member: noMember, problems: [] } : fileProblem('elf', problem);
  }
  const quick = quickArchiveOffsets(bytes);
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
 * quickArchiveOffsets, and only taken where that one gives up.
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

const SPACE = 0x20;
const NEWLINE = 0x0a;
const SLASH = 0x2f;
const HASH = 0x23;
const UNDERSCORE = 0x5f;
const DOT = 0x2e;
const DIGIT_0 = 0x30;
const DIGIT_9 = 0x39;

/** Whether the header at `offset` names GNU's symbol table (`/`) or long-name table (`//`). */
function isGnuTable(bytes: Uint8Array, offset: number): boolean {
  const firstBlank = bytes[offset + 1] === SLASH ? 2 : 1;
  for (let i = offset + firstBlank; i < offset + 16; i++) if (bytes[i] !== SPACE) return false;
  return true;
}

/**
 * The common case, fast: an archive as GNU ar writes it (short and long names, a symbol table,
 * a long-name table) whose every member is an ELF file with a sound header. One small loop over
 * the headers that reads no names and creates nothing per member. A command that stamps a few
 * big archives is over before the optimising compiler has got through much code, so most of it
 * runs in the slower tiers where every step counts: on 20 copies of libc.a this takes a third of
 * the time of the general path (scripts/bench/osabi.mjs). Returns undefined at the first thing it
 * does not handle (BSD names, odd names, a malformed header, a member that is not sound ELF); the
 * general path then finds and names every problem. Long-name references are not followed here.
 */
export function quickArchiveOffsets(bytes: Uint8Array): Uint32Array | undefined {
  let offsets = new Uint32Array(1024);
  let count = 0;
  let offset = AR_MAGIC.length;
  while (offset < bytes.length) {
    // A lone newline may pad the end of some archives.
    if (bytes.length - offset === 1 && bytes[offset] === NEWLINE) break;
    if (offset + AR_HEADER_SIZE > bytes.length || bytes[offset + 58] !== 0x60 || bytes[offset + 59] !== NEWLINE) return undefined;
    const size = headerNumber(bytes, offset + 48, 10, 10);
    const data = offset + AR_HEADER_SIZE;
    if (size < 0 || data + size > bytes.length) return undefined;
    const first = bytes[offset];
    const second = bytes[offset + 1]!;
    if (first === SLASH && (second === SPACE || second === SLASH)) {
      if (!isGnuTable(bytes, offset)) return undefined;
    } else if (first === HASH || (first === SLASH && (second < DIGIT_0 || second > DIGIT_9)) || (first === UNDERSCORE && second === UNDERSCORE && bytes[offset + 2] === DOT)) {
      // BSD names and symbol tables (__.SYMDEF), /SYM64/ and other odd names.
      return undefined;
    } else {
      if (!isSoundElfHeader(bytes, data, size)) return undefined;
      if (count === offsets.length) {
        const bigger = new Uint32Array(count * 2);
        bigger.set(offsets);
        offsets = bigger;
      }
      offsets[count++] = data + EI_OSABI;
    }
    offset = data + size + (size % 2);
  }
  return offsets.subarray(0, count);
}
