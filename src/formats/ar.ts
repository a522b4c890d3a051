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
    if (digit < 0 || digit >= radix || !Number.isSafeInteger(value * radix + digit)) {
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
 * Like parseArchive without the metadata fields (mtime, owner, mode), which are neither read
 * nor checked: for callers that only look inside members. libc.a has two thousand of them, and
 * on a cold start the work per header is what a command that edits archives pays for.
 */
export function scanArchive(input: Uint8Array): ArScan {
  const bytes = bufferView(input);
  if (isThinArchive(bytes)) throw new ArError('thin archives are not supported (their members live in other files)');
  if (!isArchive(bytes)) throw new ArError('not an ar archive (no !<arch> magic)');
  const entries: ArEntry[] = [];
  let variant: ArVariant = 'plain';
  let longNames: string | undefined;
  let offset = 8;
  while (offset < bytes.length) {
    // A lone newline may pad the end of some archives.
    if (bytes.length - offset === 1 && bytes[offset] === 0x0a) break;
    if (offset + HEADER_SIZE > bytes.length) throw new ArError(`truncated member header at offset ${offset}`);
    if (bytes[offset + 58] !== FMAG_BYTES[0] || bytes[offset + 59] !== FMAG_BYTES[1]) throw new ArError(`corrupt member header at offset ${offset}`);
    const size = field(bytes, offset + 48, 10, 10, 'size');
    let dataOffset = offset + HEADER_SIZE;
    let dataSize = size;
    let name: string;
    let kind: ArMember['kind'] = 'file';
    if (dataOffset + size > bytes.length) throw new ArError(`member at offset ${offset} runs past the end of the archive`);
    const first = bytes[offset];
    if (first !== SLASH && first !== HASH && first !== UNDERSCORE) {
      // The common case, a short name ("printf.o/" in GNU archives), read without the string
      // work that the special names below need.
      let end = offset + 16;
      while (end > offset && bytes[end - 1] === SPACE) end--;
      if (end > offset && bytes[end - 1] === SLASH) {
        variant = 'gnu';
        end--;
      }
      name = ascii(bytes, offset, end - offset);
      entries.push({ name, kind: 'file', headerOffset: offset, dataOffset, size: dataSize });
      offset += HEADER_SIZE + size + (size % 2);
      continue;
    }
    const rawName = ascii(bytes, offset, 16);
    if (rawName.startsWith('#1/')) {
      // BSD: the name is stored in front of the contents.
      variant = 'bsd';
      const nameLength = Number.parseInt(rawName.slice(3).trim(), 10);
      if (!Number.isInteger(nameLength) || nameLength > size) throw new ArError(`bad BSD name length at offset ${offset}`);
      name = ascii(bytes, dataOffset, nameLength).replace(/\0+$/, '');
      dataOffset += nameLength;
      dataSize -= nameLength;
      if (name.startsWith('__.SYMDEF')) kind = 'symbols';
    } else if (rawName.startsWith('//')) {
      variant = 'gnu';
      kind = 'names';
      name = '//';
      longNames = ascii(bytes, dataOffset, size);
    } else if (/^\/(SYM64\/)?\s*$/.test(rawName)) {
      variant = 'gnu';
      kind = 'symbols';
      name = rawName.trim();
    } else if (/^\/\d+/.test(rawName)) {
      variant = 'gnu';
      if (longNames === undefined) throw new ArError(`long name reference before the // table at offset ${offset}`);
      const start = Number.parseInt(rawName.slice(1), 10);
      const end = longNames.indexOf('/\n', start);
      if (start >= longNames.length || end < 0) throw new ArError(`bad long name reference ${rawName.trim()} at offset ${offset}`);
      name = longNames.slice(start, end);
    } else if (rawName.trim() === '__.SYMDEF' || rawName.trim() === '__.SYMDEF SORTED') {
      variant = 'bsd';
      kind = 'symbols';
      name = rawName.trim();
    } else {
      const trimmed = rawName.trimEnd();
      if (trimmed.endsWith('/')) variant = 'gnu';
      name = trimmed.replace(/\/$/, '');
    }
    entries.push({ name, kind, headerOffset: offset, dataOffset, size: dataSize });
    offset += HEADER_SIZE + size + (size % 2);
  }
  return { variant, entries };
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
