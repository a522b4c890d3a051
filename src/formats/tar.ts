import { HermitError } from '../errors.js';

/**
 * Tar archives, byte level, in the GNU format that `tar --format=gnu` writes and dpkg-deb uses
 * for the members of a .deb: 512-byte headers with the "ustar  " magic, names longer than 100
 * bytes carried by a `././@LongLink` entry in front of the header (dpkg reads those; it does not
 * read pax headers), and the end of the archive padded to a 10240-byte record. Every field is
 * written the way GNU tar 1.34 writes it, so an archive made here is byte-identical to the
 * data.tar of `dpkg-deb --root-owner-group -b` for the same entries. Pure: values in, buffers out.
 */

export const BLOCK = 512;
/** GNU tar's default blocking factor (20) times the block size: archives end on this boundary. */
export const RECORD = 20 * BLOCK;
const NAME_FIELD = 100;
/** The largest size an 11-digit octal field holds; beyond it GNU tar switches to base-256. */
const MAX_OCTAL_SIZE = 0o77777777777;

export class TarError extends HermitError {}

export type TarEntryType = 'file' | 'hardlink' | 'symlink' | 'directory';

const TYPEFLAG: Record<TarEntryType, string> = { file: '0', hardlink: '1', symlink: '2', directory: '5' };

export interface TarHeader {
  /** Path in the archive, e.g. `./opt/hermit/bin/` (directories end with a slash). */
  readonly path: string;
  readonly type: TarEntryType;
  /** Permission bits only (e.g. 0o755). */
  readonly mode: number;
  /** Size of the contents that follow; 0 for anything but a file. */
  readonly size: number;
  /** Seconds since the epoch. */
  readonly mtime: number;
  /** Target of a symlink, or the archive path of the file a hard link shares its data with. */
  readonly linkTarget?: string;
}

/** Owner names of every entry: dpkg-deb --root-owner-group writes root/root with ids 0/0. */
const OWNER = 'root';

function octal(value: number, digits: number): string {
  return value.toString(8).padStart(digits, '0');
}

function putString(block: Buffer, offset: number, length: number, text: string | Buffer): void {
  const bytes = typeof text === 'string' ? Buffer.from(text, 'utf8') : text;
  bytes.copy(block, offset, 0, Math.min(length, bytes.length));
}

/** GNU tar's size field: 11 octal digits and a NUL, or base-256 (high bit set) when too big. */
function putSize(block: Buffer, offset: number, size: number): void {
  if (size <= MAX_OCTAL_SIZE) {
    putString(block, offset, 12, `${octal(size, 11)}\0`);
    return;
  }
  block[offset] = 0x80;
  let rest = BigInt(size);
  for (let i = 11; i >= 1; i--) {
    block[offset + i] = Number(rest & 0xffn);
    rest >>= 8n;
  }
}

function checksum(block: Buffer): number {
  let sum = 0;
  for (const byte of block) sum += byte;
  return sum;
}

interface RawFields {
  readonly name: Buffer;
  readonly mode: number;
  readonly size: number;
  readonly mtime: number;
  readonly typeflag: string;
  readonly linkname: Buffer;
}

function headerBlock(fields: RawFields): Buffer {
  const block = Buffer.alloc(BLOCK);
  putString(block, 0, NAME_FIELD, fields.name);
  putString(block, 100, 8, `${octal(fields.mode, 7)}\0`);
  putString(block, 108, 8, `${octal(0, 7)}\0`);
  putString(block, 116, 8, `${octal(0, 7)}\0`);
  putSize(block, 124, fields.size);
  putString(block, 136, 12, `${octal(fields.mtime, 11)}\0`);
  block.fill(0x20, 148, 156);
  putString(block, 156, 1, fields.typeflag);
  putString(block, 157, NAME_FIELD, fields.linkname);
  // GNU magic and version in one: "ustar" followed by two blanks and a NUL.
  putString(block, 257, 8, 'ustar  \0');
  putString(block, 265, 32, OWNER);
  putString(block, 297, 32, OWNER);
  putString(block, 148, 8, `${octal(checksum(block), 6)}\0 `);
  return block;
}

/** A `././@LongLink` entry carrying a name (type L) or link target (type K) longer than 100 bytes. */
function longLink(typeflag: 'L' | 'K', value: Buffer): Buffer[] {
  const data = Buffer.concat([value, Buffer.alloc(1)]);
  const header = headerBlock({ name: Buffer.from('././@LongLink'), mode: 0o644, size: data.length, mtime: 0, typeflag, linkname: Buffer.alloc(0) });
  return [header, data, padding(data.length)];
}

/** The zero bytes that follow `size` bytes of contents up to the next block boundary. */
export function padding(size: number): Buffer {
  return Buffer.alloc((BLOCK - (size % BLOCK)) % BLOCK);
}

/**
 * The blocks that introduce one entry: a long-name and a long-link entry when needed, then the
 * header. The caller writes the contents and `padding(size)` after it.
 */
export function entryHeader(entry: TarHeader): Buffer {
  if (!Number.isSafeInteger(entry.size) || entry.size < 0) throw new TarError(`${entry.path}: bad size ${entry.size}`);
  if (entry.type !== 'file' && entry.size !== 0) throw new TarError(`${entry.path}: a ${entry.type} has no contents`);
  if (entry.mtime < 0 || entry.mtime > MAX_OCTAL_SIZE) throw new TarError(`${entry.path}: mtime ${entry.mtime} does not fit`);
  if ((entry.type === 'directory') !== entry.path.endsWith('/')) throw new TarError(`${entry.path}: only directory paths end with a slash`);
  const linked = entry.type === 'symlink' || entry.type === 'hardlink';
  if (linked !== (entry.linkTarget !== undefined)) throw new TarError(`${entry.path}: a link target belongs to links only`);
  const name = Buffer.from(entry.path, 'utf8');
  const linkname = Buffer.from(entry.linkTarget ?? '', 'utf8');
  if (name.includes(0) || linkname.includes(0)) throw new TarError(`${entry.path}: names cannot hold NUL bytes`);
  const blocks: Buffer[] = [];
  // GNU tar keeps the first 100 bytes in the header itself, which old readers show.
  if (linkname.length > NAME_FIELD) blocks.push(...longLink('K', linkname));
  if (name.length > NAME_FIELD) blocks.push(...longLink('L', name));
  blocks.push(headerBlock({ name, mode: entry.mode & 0o7777, size: entry.size, mtime: entry.mtime, typeflag: TYPEFLAG[entry.type], linkname }));
  return Buffer.concat(blocks);
}

/** What ends an archive of `written` bytes: two zero blocks, then zeros up to the record size. */
export function archiveEnd(written: number): Buffer {
  if (written % BLOCK !== 0) throw new TarError(`an archive of ${written} bytes does not end on a block`);
  const withEnd = written + 2 * BLOCK;
  return Buffer.alloc(2 * BLOCK + ((RECORD - (withEnd % RECORD)) % RECORD));
}

/** Builds a whole archive in memory (for small ones such as control.tar). */
export function writeTar(entries: ReadonlyArray<TarHeader & { readonly data?: Uint8Array }>): Buffer {
  const parts: Buffer[] = [];
  let written = 0;
  for (const entry of entries) {
    const data = entry.data ?? new Uint8Array(0);
    if (data.length !== entry.size) throw new TarError(`${entry.path}: size ${entry.size} but ${data.length} bytes of contents`);
    const header = entryHeader(entry);
    parts.push(header, Buffer.from(data.buffer, data.byteOffset, data.byteLength), padding(data.length));
    written += header.length + data.length + padding(data.length).length;
  }
  parts.push(archiveEnd(written));
  return Buffer.concat(parts);
}

export interface ReadEntry {
  readonly path: string;
  /** 'other' covers devices, fifos and anything this reader does not interpret. */
  readonly type: TarEntryType | 'other';
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
  readonly uname: string;
  readonly gname: string;
  readonly mtime: number;
  readonly linkTarget: string;
  readonly data: Uint8Array;
}

function cString(bytes: Uint8Array, start: number, length: number): string {
  const field = bytes.subarray(start, start + length);
  const end = field.indexOf(0);
  return Buffer.from(field.subarray(0, end < 0 ? field.length : end)).toString('utf8');
}

function number(bytes: Uint8Array, start: number, length: number, what: string): number {
  if ((bytes[start]! & 0x80) !== 0) {
    let value = 0n;
    for (let i = start + 1; i < start + length; i++) value = (value << 8n) | BigInt(bytes[i]!);
    return Number(value);
  }
  const text = cString(bytes, start, length).trim();
  if (text === '') return 0;
  if (!/^[0-7]+$/.test(text)) throw new TarError(`bad ${what} field "${text}"`);
  return Number.parseInt(text, 8);
}

const TYPES: Record<string, TarEntryType> = { '0': 'file', '\0': 'file', '7': 'file', '1': 'hardlink', '2': 'symlink', '5': 'directory' };

/**
 * Reads every entry of an archive: GNU (long names and links) and POSIX ustar (name prefix).
 * Contents are views into `bytes`. Enough to read a package's control.tar; pax headers are
 * refused because nothing we read is expected to have them.
 */
export function readTar(bytes: Uint8Array): ReadEntry[] {
  const entries: ReadEntry[] = [];
  let offset = 0;
  let longName: string | undefined;
  let longLinkTarget: string | undefined;
  while (offset + BLOCK <= bytes.length) {
    const block = bytes.subarray(offset, offset + BLOCK);
    if (block.every((b) => b === 0)) break;
    const stored = number(block, 148, 8, 'checksum');
    const sum = checksum(Buffer.concat([block.subarray(0, 148), Buffer.alloc(8, 0x20), block.subarray(156)]));
    if (stored !== sum) throw new TarError(`bad header checksum at offset ${offset}`);
    const size = number(block, 124, 12, 'size');
    const typeflag = String.fromCharCode(block[156]!);
    const dataStart = offset + BLOCK;
    if (dataStart + size > bytes.length) throw new TarError(`entry at offset ${offset} runs past the end of the archive`);
    const data = bytes.subarray(dataStart, dataStart + size);
    offset = dataStart + size + padding(size).length;
    if (typeflag === 'L' || typeflag === 'K') {
      const value = cString(data, 0, data.length);
      if (typeflag === 'L') longName = value;
      else longLinkTarget = value;
      continue;
    }
    if (typeflag === 'x' || typeflag === 'g') throw new TarError(`pax headers are not supported (offset ${offset})`);
    const magic = cString(block, 257, 6);
    const prefix = magic === 'ustar' ? cString(block, 345, 155) : '';
    const name = cString(block, 0, NAME_FIELD);
    entries.push({
      path: longName ?? (prefix ? `${prefix}/${name}` : name),
      type: TYPES[typeflag] ?? 'other',
      mode: number(block, 100, 8, 'mode'),
      uid: number(block, 108, 8, 'uid'),
      gid: number(block, 116, 8, 'gid'),
      uname: cString(block, 265, 32),
      gname: cString(block, 297, 32),
      mtime: number(block, 136, 12, 'mtime'),
      linkTarget: longLinkTarget ?? cString(block, 157, NAME_FIELD),
      data,
    });
    longName = undefined;
    longLinkTarget = undefined;
  }
  return entries;
}
