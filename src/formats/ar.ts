import { HermitError } from '../errors.js';

/**
 * Unix ar archives, byte level: reading (GNU/System V and BSD variants, with their symbol and
 * long-name tables) and writing the plain form a .deb uses. Pure: buffers in, values out.
 */

export const AR_MAGIC = '!<arch>\n';
export const AR_THIN_MAGIC = '!<thin>\n';
const HEADER_SIZE = 60;
const FMAG = '`\n';
const FMAG_BYTES = [0x60, 0x0a] as const;

export class ArError extends HermitError {}

export type ArVariant = 'gnu' | 'bsd' | 'plain';

/** Where a member is and what it is called: what finding things inside members needs. */
export interface ArEntry {
  /** The member's real name (long names resolved, GNU's trailing slash removed). */
  readonly name: string;
  /** Symbol tables and the GNU long-name table are not files of their own. */
  readonly kind: 'file' | 'symbols' | 'names';
  /** Offset of the 60-byte header in the archive. */
  readonly headerOffset: number;
  /** Offset of the member's contents (after a BSD inline name). */
  readonly dataOffset: number;
  /** Size of the contents (without a BSD inline name or padding). */
  readonly size: number;
}

export interface ArMember extends ArEntry {
  readonly mtime: number;
  readonly uid: number;
  readonly gid: number;
  readonly mode: number;
}

export interface ArArchive {
  readonly variant: ArVariant;
  readonly members: readonly ArMember[];
}

const ascii = (bytes: Uint8Array, start: number, length: number): string => bufferView(bytes).toString('latin1', start, start + length);

/** A Buffer over the same memory (no copy), for its fast latin1 decoding. */
function bufferView(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

export function isArchive(bytes: Uint8Array): boolean {
  return bytes.length >= 8 && ascii(bytes, 0, 8) === AR_MAGIC;
}

export function isThinArchive(bytes: Uint8Array): boolean {
  return bytes.length >= 8 && ascii(bytes, 0, 8) === AR_THIN_MAGIC;
}

const SPACE = 0x20;
const DIGIT_0 = 0x30;

/**
 * A number in a space-padded header field, or -1 when the field holds something else. Read
 * digit by digit rather than through strings: archives such as libc.a have thousands of
 * members, and this runs for each.
 */
function headerNumber(bytes: Uint8Array, at: number, length: number, radix: 8 | 10): number {
  let start = at;
  let end = at + length;
  while (start < end && bytes[start] === SPACE) start++;
  while (end > start && bytes[end - 1] === SPACE) end--;
  let value = 0;
  for (let i = start; i < end; i++) {
    const digit = bytes[i]! - DIGIT_0;
    if (digit < 0 || digit >= radix) return -1;
    // No overflow check needed: the widest field, 12 decimal digits, is far below 2^53.
    value = value * radix + digit;
  }
  return value;
}

function field(bytes: Uint8Array, at: number, length: number, radix: 8 | 10, what: string): number {
  const value = headerNumber(bytes, at, length, radix);
  if (value < 0) throw new ArError(`bad ${what} field "${ascii(bytes, at, length).trim()}" at offset ${at}`);
  return value;
}

const SLASH = 0x2f;
const HASH = 0x23;
const UNDERSCORE = 0x5f;
const DOT = 0x2e;
const NEWLINE = 0x0a;

/** Parses every member header; contents stay where they are (see dataOffset/size). */
export function parseArchive(input: Uint8Array): ArArchive {
  const index = new ArchiveIndex(input);
  const members = Array.from({ length: index.count }, (_, i): ArMember => {
    const headerOffset = index.headerOffset(i);
    return {
      ...index.entry(i),
      mtime: field(input, headerOffset + 16, 12, 10, 'mtime'),
      uid: field(input, headerOffset + 28, 6, 10, 'uid'),
      gid: field(input, headerOffset + 34, 6, 10, 'gid'),
      mode: field(input, headerOffset + 40, 8, 8, 'mode'),
    };
  });
  return { variant: index.variant, members };
}

/** How a member's name is stored, and what it is. */
const SHORT_NAME = 0; // a file, its name in its header's name field
const LONG_NAME = 1; // a file, its name in the GNU long-name table, from nameStart to nameEnd
const OTHER_NAME = 2; // a file whose name is kept as a string (BSD names, odd ones)
const SYMBOLS = 3; // a symbol table, its name kept as a string
const NAMES = 4; // the GNU long-name table, its name kept as a string
/** Found by the first pass, sorted out by the second: a name starting with `/`, `#` or `_`. */
const SPECIAL = 5;

/** The numbers kept per member, in this order. */
const STRIDE = 5;
const [HEADER_OFFSET, DATA_OFFSET, SIZE, NAME_START, NAME_END] = [0, 1, 2, 3, 4] as const;

/** Member places, STRIDE numbers each (Uint32 is enough: node's buffers end below 4 GiB). */
interface Headers {
  readonly count: number;
  readonly numbers: Uint32Array;
  readonly kinds: Uint8Array;
}

/** Doubles a typed array's room, keeping its contents. */
function grow<T extends Uint32Array | Uint8Array>(array: T, make: (length: number) => T): T {
  const bigger = make(array.length * 2);
  bigger.set(array);
  return bigger;
}

/**
 * First pass: where each member's header and contents are, and whether its name is a plain
 * short one; ArchiveIndex's constructor sorts out the other names afterwards. Kept small, with
 * plain local variables: a command that runs this on a few archives is over before V8's
 * optimising compiler has got through much code (compiling a bigger loop takes it a good part
 * of such a command's run; docs/performance.md has the figure), so the slower tiers run most of it.
 */
function scanHeaders(bytes: Buffer): Headers {
  let numbers = new Uint32Array(STRIDE * 256);
  let kinds = new Uint8Array(256);
  let count = 0;
  let offset = 8;
  while (offset < bytes.length) {
    // A lone newline may pad the end of some archives.
    if (bytes.length - offset === 1 && bytes[offset] === NEWLINE) break;
    if (offset + HEADER_SIZE > bytes.length) throw new ArError(`truncated member header at offset ${offset}`);
    if (bytes[offset + 58] !== FMAG_BYTES[0] || bytes[offset + 59] !== FMAG_BYTES[1]) throw new ArError(`corrupt member header at offset ${offset}`);
    const size = field(bytes, offset + 48, 10, 10, 'size');
    if (offset + HEADER_SIZE + size > bytes.length) throw new ArError(`member at offset ${offset} runs past the end of the archive`);
    if (count === kinds.length) {
      numbers = grow(numbers, (length) => new Uint32Array(length));
      kinds = grow(kinds, (length) => new Uint8Array(length));
    }
    const first = bytes[offset];
    const at = count * STRIDE;
    numbers[at + HEADER_OFFSET] = offset;
    numbers[at + DATA_OFFSET] = offset + HEADER_SIZE;
    numbers[at + SIZE] = size;
    kinds[count++] = first === SLASH || first === HASH || first === UNDERSCORE ? SPECIAL : SHORT_NAME;
    offset += HEADER_SIZE + size + (size % 2);
  }
  return { count, numbers, kinds };
}

/** Whether the header at `offset` names GNU's symbol table (`/`) or long-name table (`//`). */
function isGnuTable(bytes: Uint8Array, offset: number): boolean {
  const firstBlank = bytes[offset + 1] === SLASH ? 2 : 1;
  for (let i = offset + firstBlank; i < offset + 16; i++) if (bytes[i] !== SPACE) return false;
  return true;
}

/**
 * The common case, fast: for an archive as GNU ar writes it (short and long names, a symbol
 * table, a long-name table), `find(bytes, at, length)` asked of each file member's contents in
 * order, and what it answered; it answers -1 to give up. One small loop that reads no names and
 * creates nothing per member, for the reason given at scanHeaders, and asks `find` in the same
 * pass: ArchiveIndex with a loop over its members, and a second loop over the answers, both show
 * in the time of `osabi --set` (scripts/bench/osabi.mjs; docs/performance.md has the figures).
 * Returns undefined at the first thing it does not handle (BSD names, `/SYM64/`, other odd
 * names, a malformed header, a -1): ArchiveIndex then reads the archive whole and names what is
 * wrong. Long-name references are not followed. The tests check it agrees with ArchiveIndex.
 */
export function quickFileContents(bytes: Uint8Array, find: (bytes: Uint8Array, at: number, length: number) => number): Uint32Array | undefined {
  let found = new Uint32Array(1024);
  let count = 0;
  let offset = AR_MAGIC.length;
  while (offset < bytes.length) {
    // A lone newline may pad the end of some archives.
    if (bytes.length - offset === 1 && bytes[offset] === NEWLINE) break;
    if (offset + HEADER_SIZE > bytes.length || bytes[offset + 58] !== FMAG_BYTES[0] || bytes[offset + 59] !== FMAG_BYTES[1]) return undefined;
    const size = headerNumber(bytes, offset + 48, 10, 10);
    const data = offset + HEADER_SIZE;
    if (size < 0 || data + size > bytes.length) return undefined;
    const first = bytes[offset];
    const second = bytes[offset + 1]!;
    if (first === SLASH && (second === SPACE || second === SLASH)) {
      if (!isGnuTable(bytes, offset)) return undefined;
    } else if (first === HASH || (first === SLASH && (second < DIGIT_0 || second > DIGIT_0 + 9)) || (first === UNDERSCORE && second === UNDERSCORE && bytes[offset + 2] === DOT)) {
      // BSD names and symbol tables (__.SYMDEF), /SYM64/ and other odd names.
      return undefined;
    } else {
      const answer = find(bytes, data, size);
      if (answer < 0) return undefined;
      if (count === found.length) found = grow(found, (length) => new Uint32Array(length));
      found[count++] = answer;
    }
    offset = data + size + (size % 2);
  }
  return found.subarray(0, count);
}

/**
 * Where each member of an archive (GNU/System V or BSD) is, from one pass over its headers,
 * held in typed arrays instead of an object per member. libc.a has two thousand members: for a
 * command that edits a few such archives, creating, keeping and garbage-collecting an object
 * (and a name string) for each cost several times the parsing itself. The metadata fields
 * (mtime, owner, mode) are neither read nor checked. Short names are decoded only when asked
 * for, from the bytes: keep the headers unchanged until then (changing member contents is fine).
 * The constructor throws an ArError for a thin archive and anything malformed.
 */
export class ArchiveIndex {
  readonly #bytes: Buffer;
  readonly #count: number;
  readonly #numbers: Uint32Array;
  readonly #kinds: Uint8Array;
  /** Names kept as strings, by member. */
  readonly #names = new Map<number, string>();
  /** The GNU long-name table, once its member has been read. */
  #longNames: string | undefined;
  /** 'gnu' or 'bsd' once a special member shows it; short names are looked at only when asked. */
  #variant: ArVariant = 'plain';

  constructor(input: Uint8Array) {
    const bytes = bufferView(input);
    if (isThinArchive(bytes)) throw new ArError('thin archives are not supported (their members live in other files)');
    if (!isArchive(bytes)) throw new ArError('not an ar archive (no !<arch> magic)');
    this.#bytes = bytes;
    const headers = scanHeaders(bytes);
    this.#count = headers.count;
    this.#numbers = headers.numbers;
    this.#kinds = headers.kinds;
    // Second pass, in order (a long name needs the table before it): the names that are not short.
    for (let i = 0; i < this.#count; i++) {
      if (this.#kinds[i] === SPECIAL) this.#kinds[i] = this.#sortOut(i);
    }
  }

  /** GNU archives may use only short names, which then end in a slash. */
  get variant(): ArVariant {
    if (this.#variant !== 'plain') return this.#variant;
    for (let i = 0; i < this.#count; i++) {
      if (this.#kinds[i] === SHORT_NAME && this.#shortName(i).endsWith('/')) return 'gnu';
    }
    return 'plain';
  }

  get count(): number {
    return this.#count;
  }

  /** Offset of member i's 60-byte header. */
  headerOffset(i: number): number {
    return this.#numbers[i * STRIDE + HEADER_OFFSET]!;
  }

  /** Offset of member i's contents (after a BSD inline name). */
  dataOffset(i: number): number {
    return this.#numbers[i * STRIDE + DATA_OFFSET]!;
  }

  /** Size of member i's contents (without a BSD inline name or padding). */
  size(i: number): number {
    return this.#numbers[i * STRIDE + SIZE]!;
  }

  /** Whether member i is a file, not a symbol or long-name table. */
  isFile(i: number): boolean {
    return this.#kinds[i]! <= OTHER_NAME;
  }

  /** Member i's real name (long names resolved, GNU's trailing slash removed). */
  name(i: number): string {
    switch (this.#kinds[i]) {
      case SHORT_NAME:
        return this.#shortName(i).replace(/\/$/, '');
      case LONG_NAME:
        return this.#longNames!.slice(this.#numbers[i * STRIDE + NAME_START], this.#numbers[i * STRIDE + NAME_END]);
      default:
        return this.#names.get(i)!;
    }
  }

  entry(i: number): ArEntry {
    const kind = this.#kinds[i] === SYMBOLS ? 'symbols' : this.#kinds[i] === NAMES ? 'names' : 'file';
    return { name: this.name(i), kind, headerOffset: this.headerOffset(i), dataOffset: this.dataOffset(i), size: this.size(i) };
  }

  /** The name field of member i's header without the padding, GNU's trailing slash kept. */
  #shortName(i: number): string {
    return ascii(this.#bytes, this.headerOffset(i), 16).trimEnd();
  }

  /** Member i's name starts with `/`, `#` or `_`: a GNU long name, a table or a BSD name. Returns its kind. */
  #sortOut(i: number): number {
    const offset = this.headerOffset(i);
    const size = this.size(i);
    const bytes = this.#bytes;
    const at = i * STRIDE;
    if (bytes[offset] === SLASH && bytes[offset + 1]! >= DIGIT_0 && bytes[offset + 1]! <= DIGIT_0 + 9) {
      // GNU: `/123` is the offset of the name in the long-name table. The commonest special
      // name by far (a fifth of libc.a's members), so read without making strings.
      this.#variant = 'gnu';
      const start = field(bytes, offset + 1, 15, 10, 'long name reference');
      const end = this.#longNames === undefined || start >= this.#longNames.length ? -1 : this.#longNames.indexOf('/\n', start);
      if (end < 0) {
        const reference = ascii(bytes, offset, 16).trim();
        throw new ArError(`bad long name reference ${reference} at offset ${offset}${this.#longNames === undefined ? ' (no // table before it)' : ''}`);
      }
      this.#numbers[at + NAME_START] = start;
      this.#numbers[at + NAME_END] = end;
      return LONG_NAME;
    }
    const rawName = ascii(bytes, offset, 16);
    const trimmed = rawName.trim();
    if (rawName.startsWith('#1/')) {
      // BSD: the name is stored in front of the contents.
      this.#variant = 'bsd';
      const nameLength = Number.parseInt(rawName.slice(3).trim(), 10);
      if (!Number.isInteger(nameLength) || nameLength > size) throw new ArError(`bad BSD name length at offset ${offset}`);
      const name = ascii(bytes, offset + HEADER_SIZE, nameLength).replace(/\0+$/, '');
      this.#numbers[at + DATA_OFFSET] = offset + HEADER_SIZE + nameLength;
      this.#numbers[at + SIZE] = size - nameLength;
      this.#names.set(i, name);
      return name.startsWith('__.SYMDEF') ? SYMBOLS : OTHER_NAME;
    }
    if (rawName.startsWith('//')) {
      this.#variant = 'gnu';
      this.#longNames = ascii(bytes, offset + HEADER_SIZE, size);
      this.#names.set(i, '//');
      return NAMES;
    }
    if (/^\/(SYM64\/)?\s*$/.test(rawName) || trimmed === '__.SYMDEF' || trimmed === '__.SYMDEF SORTED') {
      this.#variant = trimmed.startsWith('/') ? 'gnu' : 'bsd';
      this.#names.set(i, trimmed);
      return SYMBOLS;
    }
    if (trimmed.endsWith('/')) this.#variant = 'gnu';
    this.#names.set(i, rawName.trimEnd().replace(/\/$/, ''));
    return OTHER_NAME;
  }
}

/** The contents of a member (a view into the archive's bytes). */
export function memberData(bytes: Uint8Array, member: ArMember): Uint8Array {
  return bytes.subarray(member.dataOffset, member.dataOffset + member.size);
}

export interface ArInput {
  readonly name: string;
  readonly data: Uint8Array;
  readonly mtime?: number;
  readonly mode?: number;
}

function pad(value: string | number, width: number): string {
  const text = String(value);
  if (text.length > width) throw new ArError(`"${text}" does not fit an ar header field of ${width} bytes`);
  return text.padEnd(width, ' ');
}

/**
 * Writes an archive in the plain form dpkg uses for .deb files: short names without a trailing
 * slash, owner 0/0, contents padded to even offsets with a newline.
 */
export function writeArchive(members: readonly ArInput[]): Buffer {
  const parts: Buffer[] = [Buffer.from(AR_MAGIC, 'latin1')];
  for (const member of members) {
    parts.push(memberHeader({ ...member, size: member.data.length }), Buffer.from(member.data.buffer, member.data.byteOffset, member.data.byteLength));
    if (member.data.length % 2 === 1) parts.push(memberPadding(member.data.length));
  }
  return Buffer.concat(parts);
}

/** The header of one member of `size` bytes, as writeArchive writes it (for a member written from a file). */
export function memberHeader(member: Omit<ArInput, 'data'> & { readonly size: number }): Buffer {
  if (member.name.length > 16 || /[\s/]/.test(member.name)) throw new ArError(`member name "${member.name}" must be at most 16 characters without blanks or slashes`);
  const header =
    pad(member.name, 16) + pad(member.mtime ?? 0, 12) + pad(0, 6) + pad(0, 6) + pad((member.mode ?? 0o100644).toString(8), 8) + pad(member.size, 10) + FMAG;
  return Buffer.from(header, 'latin1');
}

/** What follows a member of `size` bytes: a newline when it ends at an odd offset. */
export function memberPadding(size: number): Buffer {
  return Buffer.from(size % 2 === 1 ? '\n' : '');
}
