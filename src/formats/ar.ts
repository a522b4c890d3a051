/**
 * Unix ar archives, byte level: reading (GNU/System V and BSD variants, with their symbol and
 * long-name tables) and writing the plain form a .deb uses. Pure: buffers in, values out.
 */

export const AR_MAGIC = '!<arch>\n';
export const AR_THIN_MAGIC = '!<thin>\n';
const HEADER_SIZE = 60;
const FMAG = '`\n';
const FMAG_BYTES = [0x60, 0x0a] as const;

export class ArError extends Error {
  override name = 'ArError';
}

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

export interface ArScan {
  readonly variant: ArVariant;
  readonly entries: readonly ArEntry[];
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
 * A number in a space-padded header field. Read digit by digit rather than through strings:
 * archives such as libc.a have thousands of members, and this runs five times for each.
 */
function field(bytes: Uint8Array, at: number, length: number, radix: 8 | 10, what: string): number {
  let start = at;
  let end = at + length;
  while (start < end && bytes[start] === SPACE) start++;
  while (end > start && bytes[end - 1] === SPACE) end--;
  let value = 0;
  for (let i = start; i < end; i++) {
    const digit = bytes[i]! - DIGIT_0;
    // No overflow check needed: the widest field, 12 decimal digits, is far below 2^53.
    if (digit < 0 || digit >= radix) {
      throw new ArError(`bad ${what} field "${ascii(bytes, at, length).trim()}" at offset ${at}`);
    }
    value = value * radix + digit;
  }
  return value;
}

const SLASH = 0x2f;
const HASH = 0x23;
const UNDERSCORE = 0x5f;

/** Parses every member header; contents stay where they are (see dataOffset/size). */
export function parseArchive(input: Uint8Array): ArArchive {
  const { variant, entries } = scanArchive(input);
  const members = entries.map(
    (entry): ArMember => ({
      name: entry.name,
      kind: entry.kind,
      headerOffset: entry.headerOffset,
      dataOffset: entry.dataOffset,
      size: entry.size,
      mtime: field(input, entry.headerOffset + 16, 12, 10, 'mtime'),
      uid: field(input, entry.headerOffset + 28, 6, 10, 'uid'),
      gid: field(input, entry.headerOffset + 34, 6, 10, 'gid'),
      mode: field(input, entry.headerOffset + 40, 8, 8, 'mode'),
    }),
  );
  return { variant, members };
}

/**
 * A member with a short name, decoded from the header when first asked for. Most callers of
 * scanArchive never look at most names, and decoding two thousand of them cost a command that
 * edits libc.a more than all the rest of its parsing.
 */
class ShortNameEntry implements ArEntry {
  readonly kind = 'file';
  readonly #bytes: Buffer;
  readonly #nameLength: number;
  #name: string | undefined;

  constructor(
    bytes: Buffer,
    nameLength: number,
    readonly headerOffset: number,
    readonly dataOffset: number,
    readonly size: number,
  ) {
    this.#bytes = bytes;
    this.#nameLength = nameLength;
  }

  get name(): string {
    this.#name ??= ascii(this.#bytes, this.headerOffset, this.#nameLength);
    return this.#name;
  }
}

/**
 * Like parseArchive without the metadata fields (mtime, owner, mode), which are neither read
 * nor checked: for callers that only look inside members. libc.a has two thousand of them, and
 * on a cold start the work per header is what a command that edits archives pays for. Names
 * may be read from `bytes` only when asked for: keep the bytes unchanged until then.
 */
export function scanArchive(input: Uint8Array): ArScan {
  const bytes = bufferView(input);
  if (isThinArchive(bytes)) throw new ArError('thin archives are not supported (their members live in other files)');
  if (!isArchive(bytes)) throw new ArError('not an ar archive (no !<arch> magic)');
  // The loop is kept to what every member needs, and the rarer names are read by another
  // function: the optimising compiler's time grows with the size of the hot function, and in a
  // short command that time is paid in full.
  const entries: ArEntry[] = [];
  const state: NameState = { variant: 'plain', longNames: undefined };
  let offset = 8;
  while (offset < bytes.length) {
    // A lone newline may pad the end of some archives.
    if (bytes.length - offset === 1 && bytes[offset] === 0x0a) break;
    if (offset + HEADER_SIZE > bytes.length) throw new ArError(`truncated member header at offset ${offset}`);
    if (bytes[offset + 58] !== FMAG_BYTES[0] || bytes[offset + 59] !== FMAG_BYTES[1]) throw new ArError(`corrupt member header at offset ${offset}`);
    const size = field(bytes, offset + 48, 10, 10, 'size');
    if (offset + HEADER_SIZE + size > bytes.length) throw new ArError(`member at offset ${offset} runs past the end of the archive`);
    const first = bytes[offset];
    if (first !== SLASH && first !== HASH && first !== UNDERSCORE) {
      // A short name, "printf.o/" in GNU archives.
      let end = offset + 16;
      while (end > offset && bytes[end - 1] === SPACE) end--;
      if (end > offset && bytes[end - 1] === SLASH) {
        state.variant = 'gnu';
        end--;
      }
      entries.push(new ShortNameEntry(bytes, end - offset, offset, offset + HEADER_SIZE, size));
    } else if (first === SLASH && bytes[offset + 1]! >= DIGIT_0 && bytes[offset + 1]! <= DIGIT_0 + 9) {
      entries.push(longNameEntry(bytes, offset, size, state));
    } else {
      entries.push(specialEntry(bytes, offset, size, state));
    }
    offset += HEADER_SIZE + size + (size % 2);
  }
  return { variant: state.variant, entries };
}

/** What reading one member's name tells about the next ones. */
interface NameState {
  variant: ArVariant;
  /** The GNU long-name table, once its member has been read. */
  longNames: string | undefined;
}

/** A GNU member whose name is in the long-name table: `/123` is its offset there. */
function longNameEntry(bytes: Buffer, offset: number, size: number, state: NameState): ArEntry {
  const reference = ascii(bytes, offset, 16).trimEnd();
  state.variant = 'gnu';
  if (state.longNames === undefined) throw new ArError(`long name reference before the // table at offset ${offset}`);
  const start = Number.parseInt(reference.slice(1), 10);
  const end = state.longNames.indexOf('/\n', start);
  if (start >= state.longNames.length || end < 0) throw new ArError(`bad long name reference ${reference} at offset ${offset}`);
  return { name: state.longNames.slice(start, end), kind: 'file', headerOffset: offset, dataOffset: offset + HEADER_SIZE, size };
}

/** A member whose name starts with `/`, `#` or `_`: tables and BSD names. */
function specialEntry(bytes: Buffer, offset: number, size: number, state: NameState): ArEntry {
  const rawName = ascii(bytes, offset, 16);
  const dataOffset = offset + HEADER_SIZE;
  const entry = (name: string, kind: ArEntry['kind'], skip = 0): ArEntry => ({ name, kind, headerOffset: offset, dataOffset: dataOffset + skip, size: size - skip });
  if (rawName.startsWith('#1/')) {
    // BSD: the name is stored in front of the contents.
    state.variant = 'bsd';
    const nameLength = Number.parseInt(rawName.slice(3).trim(), 10);
    if (!Number.isInteger(nameLength) || nameLength > size) throw new ArError(`bad BSD name length at offset ${offset}`);
    const name = ascii(bytes, dataOffset, nameLength).replace(/\0+$/, '');
    return entry(name, name.startsWith('__.SYMDEF') ? 'symbols' : 'file', nameLength);
  }
  if (rawName.startsWith('//')) {
    state.variant = 'gnu';
    state.longNames = ascii(bytes, dataOffset, size);
    return entry('//', 'names');
  }
  if (/^\/(SYM64\/)?\s*$/.test(rawName)) {
    state.variant = 'gnu';
    return entry(rawName.trim(), 'symbols');
  }
  if (rawName.trim() === '__.SYMDEF' || rawName.trim() === '__.SYMDEF SORTED') {
    state.variant = 'bsd';
    return entry(rawName.trim(), 'symbols');
  }
  const trimmed = rawName.trimEnd();
  if (trimmed.endsWith('/')) state.variant = 'gnu';
  return entry(trimmed.replace(/\/$/, ''), 'file');
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
    if (member.name.length > 16 || /[\s/]/.test(member.name)) throw new ArError(`member name "${member.name}" must be at most 16 characters without blanks or slashes`);
    const header =
      pad(member.name, 16) +
      pad(member.mtime ?? 0, 12) +
      pad(0, 6) +
      pad(0, 6) +
      pad((member.mode ?? 0o100644).toString(8), 8) +
      pad(member.data.length, 10) +
      FMAG;
    parts.push(Buffer.from(header, 'latin1'), Buffer.from(member.data.buffer, member.data.byteOffset, member.data.byteLength));
    if (member.data.length % 2 === 1) parts.push(Buffer.from('\n'));
  }
  return Buffer.concat(parts);
}
