import type { Hash } from 'node:crypto';
import { open, rename, rm, stat } from 'node:fs/promises';
import { copyHashed, startHash } from '../hash.js';
import { AR_MAGIC, memberHeader, memberPadding } from '../formats/ar.js';
import { archiveEnd, entryHeader, padding, writeTar, type TarHeader } from '../formats/tar.js';
import { memberSuffix, type Compression } from '../formats/compression.js';
import { compressBuffer, startCompressor, startCompressorToFile, type Compressor } from './compress.js';
import { archiveOrder, archivePath, normalisedMode, type TreeEntry } from './tree.js';

/**
 * A .deb (deb(5)): an ar archive of `debian-binary` ("2.0\n"), `control.tar[.ext]` and
 * `data.tar[.ext]`, in that order. Every entry is owned by root:root (0/0), permissions are
 * normalised, mtimes are clamped to SOURCE_DATE_EPOCH, and entries come in dpkg-deb's order:
 * the same tree gives the same bytes, on any machine, in any work directory.
 */

export interface PackOptions {
  readonly compression: Compression;
  /** SOURCE_DATE_EPOCH: no mtime in the package is later than this. */
  readonly epoch: number;
  /** Threads for xz/zstd (see compress.ts: the output does not depend on it). */
  readonly threads?: number;
}

/** A file of the control member (control, md5sums, maintainer scripts, ...). */
export interface ControlFile {
  readonly name: string;
  readonly data: Uint8Array;
  /** Executable (maintainer scripts) or not. */
  readonly executable?: boolean;
}

export interface DataFile {
  /** Archive path (`./opt/...`). */
  readonly path: string;
  /** For a hard link: the archive path of the file it shares its contents with. */
  readonly linkOf?: string;
  /** The md5 of what is stored (for md5sums); a hard link has its file's. */
  readonly md5?: string;
}

/** What writing a data member learnt of the tree. */
export interface DataSummary {
  /** Installed-Size in KiB, computed as dpkg-gencontrol does (see installedSize). */
  readonly installedSizeKiB: number;
  /** Every regular file and hard link, in archive order. */
  readonly files: readonly DataFile[];
}

export interface DataMember extends DataSummary {
  /** The compressed data.tar. */
  readonly bytes: Buffer;
}

/**
 * Gives what is stored in place of a file (e.g. a stripped copy), given its archive path: its
 * contents, or a file to read them from (read before the hook is called again, so one scratch
 * file can serve every entry), or undefined to store the file as it is. Called once per file in
 * archive order; not called for hard links. Files stream into the package a piece at a time:
 * memory does not grow with the size of a file.
 */
export type ContentHook = (entry: TreeEntry, archivePath: string) => Promise<Uint8Array | string | undefined>;

/** The pieces a file on disk is streamed in. */
const FILE_PIECE = 1 << 20;

/**
 * Collects small writes into large ones (one pipe write per MiB instead of one per header);
 * large contents go through as they are, without a copy.
 */
class Batcher {
  private parts: Uint8Array[] = [];
  private pending = 0;
  written = 0;
  constructor(private readonly sink: (chunk: Uint8Array) => Promise<void>) {}
  async add(chunk: Uint8Array): Promise<void> {
    if (chunk.length === 0) return;
    if (chunk.length >= 1 << 16) {
      await this.flush();
      this.written += chunk.length;
      await this.sink(chunk);
      return;
    }
    this.parts.push(chunk);
    this.pending += chunk.length;
    this.written += chunk.length;
    if (this.pending >= 1 << 20) await this.flush();
  }
  async flush(): Promise<void> {
    if (this.pending === 0) return;
    const chunk = this.parts.length === 1 ? this.parts[0]! : Buffer.concat(this.parts);
    this.parts = [];
    this.pending = 0;
    await this.sink(chunk);
  }
}

/**
 * Installed-Size as dpkg-gencontrol counts it: each file's size rounded up to KiB (a hard link
 * counted once), plus one for every directory and symlink.
 */
function installedSize(sizes: readonly number[], others: number): number {
  return sizes.reduce((sum, size) => sum + Math.ceil(size / 1024), 0) + others;
}

/**
 * Streams a tree into a compressed data.tar held in memory (a small tree). The entries must
 * include the root and every parent directory (see withParents); files on disk are read a piece
 * at a time.
 */
export async function writeDataMember(entries: readonly TreeEntry[], options: PackOptions, hook?: ContentHook): Promise<DataMember> {
  const compressor = startCompressor(options.compression, options.threads === undefined ? {} : { threads: options.threads });
  const summary = await streamDataMember(entries, options, hook, compressor);
  return { ...summary, bytes: await compressor.end() };
}

/** The same into `file`: memory does not grow with the package. */
export async function writeDataMemberTo(file: string, entries: readonly TreeEntry[], options: PackOptions, hook?: ContentHook): Promise<DataSummary> {
  const compressor = startCompressorToFile(options.compression, file, options.threads === undefined ? {} : { threads: options.threads });
  const summary = await streamDataMember(entries, options, hook, compressor);
  await compressor.end();
  return summary;
}

async function streamDataMember(entries: readonly TreeEntry[], options: PackOptions, hook: ContentHook | undefined, compressor: Compressor<unknown>): Promise<DataSummary> {
  const out = new Batcher((chunk) => compressor.write(chunk));
  const firstPathOfInode = new Map<string, string>();
  const files: DataFile[] = [];
  const sizes: number[] = [];
  let others = 0;
  try {
    for (const entry of archiveOrder(entries)) {
      const name = archivePath(entry);
      const common = { path: name, mode: normalisedMode(entry), mtime: Math.min(entry.mtime, options.epoch), size: 0 };
      if (entry.type !== 'file') {
        others += entry.path === '' ? 0 : 1;
        await out.add(entryHeader(entry.type === 'symlink' ? { ...common, type: 'symlink', linkTarget: entry.linkTarget ?? '' } : { ...common, type: 'directory' }));
        continue;
      }
      const first = entry.inode === undefined ? undefined : firstPathOfInode.get(entry.inode);
      if (first !== undefined) {
        files.push({ path: name, linkOf: first });
        await out.add(entryHeader({ ...common, type: 'hardlink', linkTarget: first }));
        continue;
      }
      if (entry.inode !== undefined) firstPathOfInode.set(entry.inode, name);
      const replaced = hook ? await hook(entry, name) : undefined;
      const md5 = startHash('md5');
      let size: number;
      const source = replaced ?? entry.source ?? new Uint8Array(0);
      if (typeof source === 'string') {
        size = await streamFile(source, common, out, md5);
      } else {
        size = source.length;
        md5.update(source);
        await out.add(entryHeader({ ...common, type: 'file', size }));
        await out.add(source);
      }
      await out.add(padding(size));
      files.push({ path: name, md5: md5.digest('hex') });
      sizes.push(size);
    }
    await out.add(archiveEnd(out.written));
    await out.flush();
  } catch (error) {
    compressor.abort();
    throw error;
  }
  return { installedSizeKiB: installedSize(sizes, others), files };
}

/** A file's header and contents, read a piece at a time; the size is the open file's. */
async function streamFile(file: string, header: Omit<TarHeader, 'type' | 'size'>, out: Batcher, md5: Hash): Promise<number> {
  const handle = await open(file, 'r');
  try {
    const { size } = await handle.stat();
    await out.add(entryHeader({ ...header, type: 'file', size }));
    for (let at = 0; at < size; ) {
      // A new buffer each time: the compressor may still hold the last one.
      const piece = Buffer.allocUnsafe(Math.min(FILE_PIECE, size - at));
      const { bytesRead } = await handle.read(piece, 0, piece.length, at);
      if (bytesRead === 0) throw new Error(`${file} got shorter while it was being packaged`);
      const chunk = piece.subarray(0, bytesRead);
      md5.update(chunk);
      await out.add(chunk);
      at += bytesRead;
    }
    return size;
  } finally {
    await handle.close();
  }
}

/** The control member: `./` then the files in name order, as dpkg-deb writes it. */
export async function writeControlMember(files: readonly ControlFile[], options: PackOptions): Promise<Buffer> {
  const sorted = [...files].sort((a, b) => Buffer.compare(Buffer.from(a.name), Buffer.from(b.name)));
  const tar = writeTar([
    { path: './', type: 'directory', mode: 0o755, size: 0, mtime: options.epoch },
    ...sorted.map((file) => ({
      path: `./${file.name}`,
      type: 'file' as const,
      mode: file.executable ? 0o755 : 0o644,
      size: file.data.length,
      mtime: options.epoch,
      data: file.data,
    })),
  ]);
  return compressBuffer(tar, options.compression, options.threads === undefined ? {} : { threads: options.threads });
}

/**
 * Writes the .deb, whole or not at all (a reader, apt or the next run, never sees half a
 * package): the ar container around the control member and the data member, which is copied
 * from its file rather than held in memory.
 */
export async function writeDeb(file: string, control: Uint8Array, dataFile: string, options: Pick<PackOptions, 'compression' | 'epoch'>): Promise<{ size: number; sha256: string }> {
  const suffix = memberSuffix(options.compression);
  const dataSize = (await stat(dataFile)).size;
  const version = Buffer.from('2.0\n');
  const head = Buffer.concat([
    Buffer.from(AR_MAGIC, 'latin1'),
    memberHeader({ name: 'debian-binary', size: version.length, mtime: options.epoch }),
    version,
    memberHeader({ name: `control.tar${suffix}`, size: control.length, mtime: options.epoch }),
    control,
    memberPadding(control.length),
    memberHeader({ name: `data.tar${suffix}`, size: dataSize, mtime: options.epoch }),
  ]);
  const temp = `${file}.tmp-${process.pid}`;
  // Hashed on the way out: the caller reports the package's sha256 without reading it again.
  const hash = startHash('sha256');
  const tail = memberPadding(dataSize);
  try {
    const out = await open(temp, 'w');
    try {
      hash.update(head);
      await out.write(head);
      const copied = await copyHashed(dataFile, out, hash);
      if (copied !== dataSize) throw new Error(`${dataFile} changed size while it was copied into ${file}`);
      hash.update(tail);
      await out.write(tail);
    } finally {
      await out.close();
    }
    await rename(temp, file);
    return { size: head.length + dataSize + tail.length, sha256: hash.digest('hex') };
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}
