import { HermitError } from '../errors.js';

/**
 * The ELF file header, byte level: enough to validate a header and find its OS/ABI byte in
 * ELF32 and ELF64, little and big endian. Pure: bytes in, values out.
 */

/** Index of the OS/ABI byte in e_ident (EI_OSABI). */
export const EI_OSABI = 7;
/** The most header bytes any class needs (ELF64): read this many to validate a file. */
export const ELF_HEADER_MAX = 64;

const MAGIC = [0x7f, 0x45, 0x4c, 0x46] as const; // \x7fELF
const EI_CLASS = 4;
const EI_DATA = 5;
const EI_VERSION = 6;
const EI_ABIVERSION = 8;
const EV_CURRENT = 1;
const IDENT_SIZE = 16;

/** Header size and where e_version and e_ehsize sit, per class (the other fields move with the word size). */
const LAYOUT = {
  32: { size: 52, version: 20, ehsize: 40 },
  64: { size: 64, version: 20, ehsize: 52 },
} as const;

export class ElfError extends HermitError {}

export interface ElfHeader {
  readonly bits: 32 | 64;
  readonly endian: 'little' | 'big';
  readonly osabi: number;
  readonly abiVersion: number;
  /** e_type: 1 relocatable, 2 executable, 3 shared object, ... */
  readonly type: number;
  /** e_machine: 62 x86-64, 3 i386, ... */
  readonly machine: number;
  readonly ehsize: number;
}

export function hasElfMagic(bytes: Uint8Array, at = 0, length = bytes.length - at): boolean {
  return length >= 4 && bytes[at] === MAGIC[0] && bytes[at + 1] === MAGIC[1] && bytes[at + 2] === MAGIC[2] && bytes[at + 3] === MAGIC[3];
}

function uint16(bytes: Uint8Array, at: number, endian: ElfHeader['endian']): number {
  return endian === 'little' ? bytes[at]! | (bytes[at + 1]! << 8) : (bytes[at]! << 8) | bytes[at + 1]!;
}

function uint32(bytes: Uint8Array, at: number, endian: ElfHeader['endian']): number {
  const high = endian === 'little' ? uint16(bytes, at + 2, endian) : uint16(bytes, at, endian);
  const low = endian === 'little' ? uint16(bytes, at, endian) : uint16(bytes, at + 2, endian);
  return high * 0x10000 + low;
}

/**
 * Whether the header at `at` is sound: the question explainElfHeader answers, without the
 * answer's words. Written as one small function with no calls because it runs for every member
 * of an archive, mostly before the optimising compiler is done with it (see scanHeaders in
 * ar.ts); the tests check that both always agree.
 */
export function isSoundElfHeader(bytes: Uint8Array, at: number, length: number): boolean {
  if (length < LAYOUT[32].size) return false;
  if (bytes[at] !== 0x7f || bytes[at + 1] !== 0x45 || bytes[at + 2] !== 0x4c || bytes[at + 3] !== 0x46 || bytes[at + EI_VERSION] !== EV_CURRENT) return false;
  const elfClass = bytes[at + EI_CLASS];
  const data = bytes[at + EI_DATA];
  if ((elfClass !== 1 && elfClass !== 2) || (data !== 1 && data !== 2)) return false;
  const layout = elfClass === 1 ? LAYOUT[32] : LAYOUT[64];
  const v = at + layout.version;
  const e = at + layout.ehsize;
  // Compared with 1 only, so the sign a high bit gives in JavaScript does not matter.
  const version = data === 1 ? bytes[v]! | (bytes[v + 1]! << 8) | (bytes[v + 2]! << 16) | (bytes[v + 3]! << 24) : (bytes[v]! << 24) | (bytes[v + 1]! << 16) | (bytes[v + 2]! << 8) | bytes[v + 3]!;
  const ehsize = data === 1 ? bytes[e]! | (bytes[e + 1]! << 8) : (bytes[e]! << 8) | bytes[e + 1]!;
  return length >= layout.size && version === EV_CURRENT && ehsize >= layout.size && ehsize <= length;
}

/**
 * What is wrong with the header at the start of a file's contents, `length` bytes at `at` in
 * `bytes` (a whole file, or one member's contents inside an archive's bytes), or undefined when
 * nothing is. Builds nothing when the header is sound: archives hold thousands of headers.
 * Refusing a file we do not understand is safer than stamping a byte into it.
 */
export function elfHeaderProblem(bytes: Uint8Array, at = 0, length = bytes.length - at): string | undefined {
  if (isSoundElfHeader(bytes, at, length)) return undefined;
  return explainElfHeader(bytes, at, length) ?? 'unsound ELF header';
}

/**
 * The checks of elfHeaderProblem one by one, each with its words; undefined when all pass. Only
 * asked about headers isSoundElfHeader rejects (and by the tests, which make sure the two agree).
 */
export function explainElfHeader(bytes: Uint8Array, at: number, length: number): string | undefined {
  if (!hasElfMagic(bytes, at, length)) return 'not an ELF file (no \\x7fELF magic)';
  if (length < IDENT_SIZE) return `truncated ELF header (${length} bytes, e_ident alone is ${IDENT_SIZE})`;
  const elfClass = bytes[at + EI_CLASS];
  if (elfClass !== 1 && elfClass !== 2) return `unknown ELF class ${elfClass} (1 is ELF32, 2 is ELF64)`;
  const data = bytes[at + EI_DATA];
  if (data !== 1 && data !== 2) return `unknown ELF data encoding ${data} (1 is little endian, 2 is big endian)`;
  const identVersion = bytes[at + EI_VERSION];
  if (identVersion !== EV_CURRENT) return `unsupported ELF version ${identVersion} in e_ident (expected ${EV_CURRENT})`;
  const bits = elfClass === 1 ? 32 : 64;
  const endian = data === 1 ? 'little' : 'big';
  const layout = LAYOUT[bits];
  if (length < layout.size) return `truncated ELF header (${length} bytes, ELF${bits} needs ${layout.size})`;
  const version = uint32(bytes, at + layout.version, endian);
  if (version !== EV_CURRENT) return `unsupported ELF version ${version} in e_version (expected ${EV_CURRENT})`;
  const ehsize = uint16(bytes, at + layout.ehsize, endian);
  if (ehsize < layout.size || ehsize > length) {
    return `e_ehsize ${ehsize} is not sane (ELF${bits} headers are at least ${layout.size} bytes; the file has ${length})`;
  }
  return undefined;
}

/** The header's fields; throws an ElfError saying what is wrong with it (see elfHeaderProblem). */
export function parseElfHeader(bytes: Uint8Array, at = 0, length = bytes.length - at): ElfHeader {
  const problem = elfHeaderProblem(bytes, at, length);
  if (problem !== undefined) throw new ElfError(problem);
  const bits = bytes[at + EI_CLASS] === 1 ? 32 : 64;
  const endian = bytes[at + EI_DATA] === 1 ? 'little' : 'big';
  return {
    bits,
    endian,
    osabi: bytes[at + EI_OSABI]!,
    abiVersion: bytes[at + EI_ABIVERSION]!,
    type: uint16(bytes, at + 16, endian),
    machine: uint16(bytes, at + 18, endian),
    ehsize: uint16(bytes, at + LAYOUT[bits].ehsize, endian),
  };
}
