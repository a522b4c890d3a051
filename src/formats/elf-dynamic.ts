import { ElfError } from './elf.js';

/**
 * What packaging needs to know about an ELF file: its identity (class, byte order, OS/ABI, type,
 * machine) and whether it still carries a symbol table or debug sections (what the dynamic
 * section asks of the host is dpkg-shlibdeps' to read). 32- and 64-bit, both byte orders. Pure:
 * bytes in, values out; a file that is not ELF gives `undefined`, a damaged one an ElfError.
 */

export const ET_REL = 1;
export const ET_EXEC = 2;
export const ET_DYN = 3;

const SHT_SYMTAB = 2;

export interface ElfIdentity {
  readonly is64: boolean;
  readonly littleEndian: boolean;
  /** e_ident[EI_OSABI]: 0 System V, 3 GNU/Linux, 255 Standalone (HermitCore), ... */
  readonly osabi: number;
  /** e_type: ET_REL, ET_EXEC, ET_DYN, ... */
  readonly type: number;
  /** e_machine: 62 for x86-64, ... */
  readonly machine: number;
}

export function isElf(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && bytes[0] === 0x7f && bytes[1] === 0x45 && bytes[2] === 0x4c && bytes[3] === 0x46;
}

/** Reads fixed-width fields of one file with its class and byte order. */
class Reader {
  private readonly view: DataView;
  constructor(
    readonly bytes: Uint8Array,
    readonly is64: boolean,
    readonly little: boolean,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  private check(offset: number, size: number, what: string): void {
    if (offset < 0 || offset + size > this.bytes.length) throw new ElfError(`${what} at offset ${offset} lies outside the file`);
  }
  u16(offset: number, what: string): number {
    this.check(offset, 2, what);
    return this.view.getUint16(offset, this.little);
  }
  u32(offset: number, what: string): number {
    this.check(offset, 4, what);
    return this.view.getUint32(offset, this.little);
  }
  /** An address-sized value (32 or 64 bits); file offsets and sizes fit a double in practice. */
  word(offset: number, what: string): number {
    if (!this.is64) return this.u32(offset, what);
    this.check(offset, 8, what);
    const value = this.view.getBigUint64(offset, this.little);
    if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw new ElfError(`${what} at offset ${offset} is too large`);
    return Number(value);
  }
  /** A NUL-terminated string starting at `offset`, not reading past `end`. */
  string(offset: number, end: number, what: string): string {
    this.check(offset, 1, what);
    const limit = Math.min(end, this.bytes.length);
    const stop = this.bytes.indexOf(0, offset);
    if (stop < 0 || stop >= limit) throw new ElfError(`${what} at offset ${offset} is not terminated`);
    return Buffer.from(this.bytes.subarray(offset, stop)).toString('utf8');
  }
}

function reader(bytes: Uint8Array): Reader | undefined {
  if (!isElf(bytes)) return undefined;
  if (bytes.length < 52) throw new ElfError('truncated ELF header');
  const elfClass = bytes[4];
  const data = bytes[5];
  if (elfClass !== 1 && elfClass !== 2) throw new ElfError(`unknown ELF class ${elfClass}`);
  if (data !== 1 && data !== 2) throw new ElfError(`unknown ELF byte order ${data}`);
  if (elfClass === 2 && bytes.length < 64) throw new ElfError('truncated ELF header');
  return new Reader(bytes, elfClass === 2, data === 1);
}

export function readElfIdentity(bytes: Uint8Array): ElfIdentity | undefined {
  const r = reader(bytes);
  if (!r) return undefined;
  return { is64: r.is64, littleEndian: r.little, osabi: bytes[7]!, type: r.u16(16, 'e_type'), machine: r.u16(18, 'e_machine') };
}

interface SectionTable {
  readonly offset: number;
  readonly entsize: number;
  readonly count: number;
  /** The index of the section holding the sections' names. */
  readonly names: number;
  section(index: number): { name: number; type: number; offset: number; size: number };
}

function sectionTable(r: Reader): SectionTable | undefined {
  const offset = r.word(r.is64 ? 40 : 32, 'e_shoff');
  if (offset === 0) return undefined;
  const entsize = r.u16(r.is64 ? 58 : 46, 'e_shentsize');
  let count = r.u16(r.is64 ? 60 : 48, 'e_shnum');
  let names = r.u16(r.is64 ? 62 : 50, 'e_shstrndx');
  // Extended numbering: the real values live in section 0.
  if (count === 0) count = r.word(offset + (r.is64 ? 32 : 20), 'sh_size');
  if (names === 0xffff) names = r.u32(offset + (r.is64 ? 40 : 24), 'sh_link');
  const section = (index: number): { name: number; type: number; offset: number; size: number } => {
    const at = offset + index * entsize;
    return r.is64
      ? { name: r.u32(at, 'sh_name'), type: r.u32(at + 4, 'sh_type'), offset: r.word(at + 24, 'sh_offset'), size: r.word(at + 32, 'sh_size') }
      : { name: r.u32(at, 'sh_name'), type: r.u32(at + 4, 'sh_type'), offset: r.word(at + 16, 'sh_offset'), size: r.word(at + 20, 'sh_size') };
  };
  return { offset, entsize, count, names, section };
}

/**
 * Whether the file still has what `strip` removes: a symbol table (SHT_SYMTAB) or debug
 * sections (.debug_*, .zdebug_*). Files without section headers count as stripped.
 */
export function hasDebugOrSymbols(bytes: Uint8Array): boolean {
  const r = reader(bytes);
  const table = r && sectionTable(r);
  if (!r || !table) return false;
  const shstrtab = table.names < table.count ? table.section(table.names) : undefined;
  for (let i = 0; i < table.count; i++) {
    const s = table.section(i);
    if (s.type === SHT_SYMTAB) return true;
    if (shstrtab) {
      const name = r.string(shstrtab.offset + s.name, shstrtab.offset + shstrtab.size, 'section name');
      if (name.startsWith('.debug_') || name.startsWith('.zdebug_')) return true;
    }
  }
  return false;
}

/**
 * The parts of a file hasDebugOrSymbols reads besides its ELF header (the section header table
 * and the section names), as far as `bytes` already holds what says where they are: a caller
 * reading a big file piecemeal reads these until they no longer change, then asks
 * hasDebugOrSymbols. Offsets not yet read must read as zero.
 */
export function debugCheckSpans(bytes: Uint8Array): Array<{ offset: number; length: number }> {
  const r = reader(bytes);
  const table = r && sectionTable(r);
  if (!table) return [];
  const spans = [{ offset: table.offset, length: table.entsize * Math.max(table.count, 1) }];
  if (table.names < table.count) {
    const names = table.section(table.names);
    if (names.size > 0) spans.push({ offset: names.offset, length: names.size });
  }
  return spans;
}
