import { HermitError } from '../errors.js';
import { BLOCK } from './tar.js';

/**
 * A tar stream read header by header, as GNU tar 1.34 reads it, so that a filter in front of GNU
 * tar can decide member by member whether its bytes reach it. GNU tar extracts what it is given,
 * so every header it sees must be one this reader saw and framed the same way: wherever the two
 * could part (a bad checksum, after which GNU tar searches for the next thing that looks like a
 * header; a malformed pax record; a folder or link with contents, whose bytes GNU tar does not
 * skip), the stream is refused instead of guessed at. Members that are not plain files, folders
 * or links (devices, FIFOs, sparse files, GNU's volume and dump entries, unknown types) never
 * reach GNU tar, so how it would frame them does not matter. Pure: chunks in, chunks to pass on
 * out, contents never held.
 */

export class TarFormatError extends HermitError {}

export type MemberKind = 'file' | 'directory' | 'symlink' | 'hardlink' | 'other';

export interface TarMember {
  readonly kind: MemberKind;
  /** For an 'other': what it is, in words ("a character device", "a sparse file"). */
  readonly what: string;
  /** Every distinct name its headers give it, the one GNU tar extracts it under first. */
  readonly names: readonly [string, ...string[]];
  /** Every distinct link target its headers give (none for files and folders), GNU tar's first. */
  readonly links: readonly string[];
  /** Bytes of contents after the header. */
  readonly size: number;
}

/** Long names and pax records are small; one this big is not a name but an attempt at memory. */
const META_LIMIT = 1 << 20;

const KINDS: Record<string, MemberKind> = { '0': 'file', '\0': 'file', '7': 'file', '1': 'hardlink', '2': 'symlink', '5': 'directory' };

const OTHERS: Record<string, string> = {
  '3': 'a character device',
  '4': 'a block device',
  '6': 'a FIFO',
  S: 'a sparse file',
  D: "a GNU incremental backup's folder listing",
  V: 'a tape volume label',
  M: 'the continuation of a file from another volume',
  N: 'an old GNU renaming entry',
};

const roundUp = (size: number): number => Math.ceil(size / BLOCK) * BLOCK;

const POSIX_MAGIC = Buffer.from('ustar\0', 'latin1');

/** A NUL-terminated field as C reads it. */
function cString(bytes: Uint8Array): string {
  const end = bytes.indexOf(0);
  return Buffer.from(bytes.buffer, bytes.byteOffset, end < 0 ? bytes.length : end).toString('utf8');
}

/**
 * A numeric header field as GNU tar's from_header reads it: one leading NUL and leading blanks
 * skipped, octal digits up to a blank or NUL, or base-256 when the high bit of the first byte is
 * set. Anything else (GNU's long-obsolete base-64, a negative base-256) is refused.
 */
export function headerNumber(field: Uint8Array, what: string): number {
  let at = field[0] === 0 ? 1 : 0;
  if (field[0] === 0x80) {
    let value = 0;
    for (let i = 1; i < field.length; i++) value = value * 256 + field[i]!;
    if (!Number.isSafeInteger(value)) throw new TarFormatError(`the ${what} field is too large`);
    return value;
  }
  while (at < field.length && (field[at] === 0x20 || (field[at]! >= 0x09 && field[at]! <= 0x0d))) at++;
  if (at === field.length) throw new TarFormatError(`the ${what} field is blank`);
  let value = 0;
  while (at < field.length && field[at]! >= 0x30 && field[at]! <= 0x37) value = value * 8 + field[at++]! - 0x30;
  const next = field[at];
  if (at < field.length && next !== 0 && next !== 0x20 && !(next! >= 0x09 && next! <= 0x0d)) {
    throw new TarFormatError(`the ${what} field is not a number`);
  }
  return value;
}

/** Whether a block is all zeros (the end of an archive), else whether its checksum holds, counted as GNU tar does. */
function checkBlock(block: Uint8Array): 'zero' | 'valid' | 'corrupt' {
  // One pass for all three: the unsigned sum, and how many bytes count negative when signed.
  let unsigned = 0;
  let high = 0;
  for (let i = 0; i < BLOCK; i++) {
    const byte = block[i]!;
    unsigned += byte;
    high += byte >>> 7;
  }
  if (unsigned === 0) return 'zero';
  // The checksum field itself counts as eight blanks.
  for (let i = 148; i < 156; i++) {
    unsigned -= block[i]!;
    high -= block[i]! >>> 7;
  }
  unsigned += 8 * 0x20;
  const signed = unsigned - 256 * high;
  let recorded: number;
  try {
    recorded = headerNumber(block.subarray(148, 156), 'checksum');
  } catch {
    return 'corrupt';
  }
  return recorded === unsigned || recorded === signed ? 'valid' : 'corrupt';
}

type PaxRecord = readonly [keyword: string, value: string];

/** The records of a pax header, as GNU tar's decode_record splits them; a malformed one is refused. */
export function paxRecords(body: Uint8Array): PaxRecord[] {
  const records: PaxRecord[] = [];
  let at = 0;
  for (;;) {
    // The length counts from the record's first byte, blanks before it included.
    const start = at;
    while (body[at] === 0x20 || body[at] === 0x09) at++;
    // GNU tar stops at the first record that does not start with a digit, silently at a NUL.
    if (at >= body.length || body[at] === 0) return records;
    const digits = at;
    let length = 0;
    while (body[at]! >= 0x30 && body[at]! <= 0x39) length = length * 10 + body[at++]! - 0x30;
    if (at === digits) throw new TarFormatError('a malformed pax header: a record without its length');
    const end = start + length;
    if (end > body.length || length === 0) throw new TarFormatError('a malformed pax header: a record longer than the header');
    if (body[at] !== 0x20) throw new TarFormatError('a malformed pax header: no blank after a length');
    while (body[at] === 0x20) at++;
    const equals = body.indexOf(0x3d, at);
    if (equals < 0 || equals >= end) throw new TarFormatError('a malformed pax header: a record without "="');
    if (body[end - 1] !== 0x0a) throw new TarFormatError('a malformed pax header: a record without its newline');
    // C strings: the keyword GNU tar matches ends at a NUL.
    const keyword = cString(body.subarray(at, equals));
    const value = body.subarray(equals + 1, end - 1);
    // GNU tar reads names as C strings: a NUL would end the name it uses but not the one checked.
    if ((keyword === 'path' || keyword === 'linkpath' || keyword.startsWith('GNU.sparse.')) && value.includes(0)) {
      throw new TarFormatError(`a pax ${keyword} with a NUL byte in it`);
    }
    records.push([keyword, Buffer.from(value).toString('utf8')]);
    at = end;
  }
}

/** The name, link and size a member's headers give, GNU tar's choice and every other. */
function resolveMember(header: Uint8Array, headerSize: number, global: readonly PaxRecord[], local: readonly PaxRecord[], longName: string | undefined, longLink: string | undefined): TarMember {
  const typeflag = String.fromCharCode(header[156]!);
  const ownName = cString(header.subarray(0, 100));
  // The POSIX prefix exists only under the POSIX magic; GNU's headers keep times there.
  const prefix = POSIX_MAGIC.equals(header.subarray(257, 263)) ? cString(header.subarray(345, 500)) : '';
  let name = longName ?? (prefix ? `${prefix}/${ownName}` : ownName);
  let link = longLink ?? cString(header.subarray(157, 257));
  const names = [name];
  const links = [link];
  let size = headerSize;
  let sparse = typeflag === 'S';
  // GNU.sparse.name, once given, wins over every path record, earlier or later (sparse_path_decoder).
  let sparseNamed = false;
  // Global records first, then the member's own, each overriding the ones before, as in xheader_decode.
  for (const [keyword, value] of [...global, ...local]) {
    if (keyword === 'path' || keyword === 'GNU.sparse.name') {
      sparseNamed ||= keyword === 'GNU.sparse.name';
      // An empty name changes nothing (raw_path_decoder).
      if (value !== '' && (keyword !== 'path' || !sparseNamed)) name = value;
      if (value !== '') names.push(value);
    } else if (keyword === 'linkpath') {
      link = value;
      links.push(value);
    } else if (keyword === 'size') {
      if (!/^[0-9]+$/.test(value) || !Number.isSafeInteger(Number(value))) throw new TarFormatError(`${name}: a pax size of "${value}"`);
      size = Number(value);
    }
    if (keyword.startsWith('GNU.sparse.')) sparse = true;
  }
  const distinct = (values: string[], first: string): string[] => [first, ...new Set(values.filter((value) => value !== first))];
  const allNames = distinct(names, name) as [string, ...string[]];
  let kind: MemberKind = KINDS[typeflag] ?? 'other';
  // BSD's convention, which GNU tar follows: a file whose name ends with a slash is a folder.
  if (kind === 'file' && name.endsWith('/')) kind = 'directory';
  if (sparse) kind = 'other';
  const what = kind !== 'other' ? '' : sparse ? 'a sparse file' : (OTHERS[typeflag] ?? `an entry of unknown type ${JSON.stringify(typeflag)}`);
  if ((kind === 'directory' || kind === 'symlink' || kind === 'hardlink') && size !== 0) {
    // GNU tar does not skip a folder's contents: it would read them as the next headers.
    throw new TarFormatError(`${name}: a ${kind === 'directory' ? 'folder' : 'link'} with contents (${size} bytes)`);
  }
  return { kind, what, names: allNames, links: kind === 'symlink' || kind === 'hardlink' ? distinct(links, link) : [], size };
}

type State =
  | { readonly at: 'header' }
  | { readonly at: 'meta'; readonly header: Buffer; readonly size: number }
  | { readonly at: 'extension'; readonly size: number }
  | { readonly at: 'body'; readonly pass: boolean; left: number }
  | { readonly at: 'end' };

/**
 * Frames a tar stream and passes on the bytes of the members `admit` accepts, plus the global
 * pax headers and the end of the archive. Whatever follows the end-of-archive block is not passed
 * on (GNU tar stops reading there too).
 */
export class TarStreamFilter {
  private state: State = { at: 'header' };
  /** The block being gathered (a header, a long name, a pax header) when a chunk ends inside it. */
  private gathered: Buffer | undefined;
  private gatheredLength = 0;
  /** Bytes of the stream read so far, for messages. */
  private offset = 0;
  private passing = true;
  /** Headers read for the next member (pax, long name, long link): passed on with it or not at all. */
  private pending: Buffer[] = [];
  private local: PaxRecord[] | undefined;
  private longName: string | undefined;
  private longLink: string | undefined;
  private global: PaxRecord[] = [];
  private out: Buffer[] = [];

  constructor(private readonly admit: (member: TarMember) => boolean) {}

  /** Whether the end-of-archive block has been read. */
  get ended(): boolean {
    return this.state.at === 'end';
  }

  /** From now on nothing is passed on; the stream is still read (and checked) to its end. */
  stopPassing(): void {
    this.passing = false;
  }

  /** The bytes of `chunk` to pass on, in order: views into it, or copies of headers gathered across chunks. */
  write(chunk: Buffer): Buffer[] {
    this.out = [];
    let at = 0;
    while (at < chunk.length && this.state.at !== 'end') {
      const state = this.state;
      if (state.at === 'body') {
        const take = Math.min(state.left, chunk.length - at);
        if (state.pass) this.emit(chunk.subarray(at, at + take));
        state.left -= take;
        at += take;
        this.offset += take;
        if (state.left === 0) this.state = { at: 'header' };
        continue;
      }
      const need = state.at === 'meta' ? roundUp(state.size) : BLOCK;
      const whole = this.gather(chunk, at, need);
      at += whole.used;
      if (!whole.block) continue;
      if (state.at === 'header') this.onHeader(whole.block);
      else if (state.at === 'meta') this.onMeta(state.header, whole.block.subarray(0, state.size), whole.block);
      else this.onExtension(whole.block, state.size);
      this.offset += need;
    }
    if (this.state.at === 'end') this.offset += chunk.length - at;
    return this.out;
  }

  /** The end of the stream: anything but the end of a member (or of the archive) is a truncation. */
  end(): Buffer[] {
    this.out = [];
    if (this.state.at === 'end') return this.out;
    if (this.state.at !== 'header' || this.gatheredLength > 0 || this.pending.length > 0) {
      throw new TarFormatError(this.offset === 0 && this.state.at === 'header' ? 'not a tar archive' : `the archive ends in the middle of a member (after ${this.offset + this.gatheredLength} bytes)`);
    }
    return this.out;
  }

  private emit(bytes: Buffer): void {
    if (this.passing && bytes.length > 0) this.out.push(bytes);
  }

  /** `need` bytes starting at `at`, as a view when the chunk holds them whole, else gathered across chunks. */
  private gather(chunk: Buffer, at: number, need: number): { used: number; block?: Buffer } {
    if (this.gatheredLength === 0 && chunk.length - at >= need) return { used: need, block: chunk.subarray(at, at + need) };
    this.gathered ??= Buffer.alloc(need);
    const take = Math.min(need - this.gatheredLength, chunk.length - at);
    chunk.copy(this.gathered, this.gatheredLength, at, at + take);
    this.gatheredLength += take;
    if (this.gatheredLength < need) return { used: take };
    const block = this.gathered;
    this.gathered = undefined;
    this.gatheredLength = 0;
    return { used: take, block };
  }

  private onHeader(block: Buffer): void {
    const check = checkBlock(block);
    if (check === 'zero') {
      // GNU tar ends at the first zero block, lone or not; two make it end without a warning.
      this.pending = [];
      this.emit(Buffer.alloc(2 * BLOCK));
      this.state = { at: 'end' };
      return;
    }
    if (check === 'corrupt') throw new TarFormatError(this.offset === 0 ? 'not a tar archive' : `a corrupt tar header at byte ${this.offset}`);
    const typeflag = String.fromCharCode(block[156]!);
    const size = headerNumber(block.subarray(124, 136), 'size');
    // 'X' is Solaris's name for a pax header, which GNU tar reads as one.
    if (typeflag === 'x' || typeflag === 'X' || typeflag === 'g' || typeflag === 'L' || typeflag === 'K') {
      if (size > META_LIMIT) throw new TarFormatError(`a ${size}-byte header at byte ${this.offset}`);
      if (size === 0) this.onMeta(block, Buffer.alloc(0), Buffer.alloc(0));
      else this.state = { at: 'meta', header: block, size };
      return;
    }
    const member = resolveMember(block, size, this.global, this.local ?? [], this.longName, this.longLink);
    // Whatever `admit` says, GNU tar is never shown a member whose framing it might read otherwise.
    const pass = this.admit(member) && member.kind !== 'other';
    if (pass) for (const part of [...this.pending, block]) this.emit(part);
    this.pending = [];
    this.local = this.longName = this.longLink = undefined;
    // An old GNU sparse header may be followed by blocks continuing its map; it is never passed on.
    if (typeflag === 'S' && block[482] !== 0) this.state = { at: 'extension', size: member.size };
    else this.state = member.size === 0 ? { at: 'header' } : { at: 'body', pass, left: roundUp(member.size) };
  }

  private onMeta(header: Buffer, body: Buffer, padded: Buffer): void {
    const typeflag = String.fromCharCode(header[156]!);
    this.state = { at: 'header' };
    if (typeflag === 'g') {
      const records = paxRecords(body);
      // A global size would apply to every member after it; GNU tar would frame them all by it.
      if (records.some(([keyword]) => keyword === 'size')) throw new TarFormatError('a global pax header giving every member a size');
      // Each global header replaces the ones before it, as in xheader_decode_global.
      this.global = records;
      this.emit(header);
      this.emit(padded);
      return;
    }
    const repeated = typeflag === 'L' ? this.longName !== undefined : typeflag === 'K' ? this.longLink !== undefined : this.local !== undefined;
    // GNU tar would take the last of two; no tar writes two.
    if (repeated) throw new TarFormatError(`two ${typeflag === 'L' ? 'long names' : typeflag === 'K' ? 'long link targets' : 'pax headers'} for one member at byte ${this.offset}`);
    if (typeflag === 'L') this.longName = cString(body);
    else if (typeflag === 'K') this.longLink = cString(body);
    else this.local = paxRecords(body);
    this.pending.push(header, padded);
  }

  private onExtension(block: Buffer, size: number): void {
    if (block[504] !== 0) return;
    this.state = size === 0 ? { at: 'header' } : { at: 'body', pass: false, left: roundUp(size) };
  }
}
