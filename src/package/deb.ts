import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import { writeArchive } from '../formats/ar.js';
import { archiveEnd, entryHeader, padding, writeTar } from '../formats/tar.js';
import { memberSuffix, type Compression } from '../formats/compression.js';
import { compressBuffer, startCompressor } from './compress.js';
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
}

export interface DataMember {
  /** The compressed data.tar. */
  readonly bytes: Buffer;
  /** Installed-Size in KiB, computed as dpkg-gencontrol does (see installedSize). */
  readonly installedSizeKiB: number;
  /** Every regular file and hard link, in archive order. */
  readonly files: readonly DataFile[];
}

/**
 * Turns a file's contents into what is stored (e.g. stripped), given its archive path; also the
 * place to look at every stored file (checksums, ELF dependencies). Called once per file in
 * archive order; not called for hard links.
 */
export type ContentHook = (entry: TreeEntry, archivePath: string, contents: Uint8Array) => Promise<Uint8Array> | Uint8Array;

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
 * Streams a tree into a compressed data.tar. The entries must include the root and every
 * parent directory (see withParents); contents are read one file at a time.
 */
export async function writeDataMember(entries: readonly TreeEntry[], options: PackOptions, hook?: ContentHook): Promise<DataMember> {
  const compressor = startCompressor(options.compression, options.threads === undefined ? {} : { threads: options.threads });
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
      const raw = entry.source === undefined ? new Uint8Array(0) : typeof entry.source === 'string' ? await readFile(entry.source) : entry.source;
      const stored = hook ? await hook(entry, name, raw) : raw;
      files.push({ path: name });
      sizes.push(stored.length);
      await out.add(entryHeader({ ...common, type: 'file', size: stored.length }));
      await out.add(stored);
      await out.add(padding(stored.length));
    }
    await out.add(archiveEnd(out.written));
    await out.flush();
  } catch (error) {
    compressor.abort();
    throw error;
  }
  return { bytes: await compressor.end(), installedSizeKiB: installedSize(sizes, others), files };
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

/** The ar container around both members. */
export function assembleDeb(control: Uint8Array, data: Uint8Array, options: Pick<PackOptions, 'compression' | 'epoch'>): Buffer {
  const suffix = memberSuffix(options.compression);
  return writeArchive([
    { name: 'debian-binary', data: Buffer.from('2.0\n'), mtime: options.epoch },
    { name: `control.tar${suffix}`, data: control, mtime: options.epoch },
    { name: `data.tar${suffix}`, data, mtime: options.epoch },
  ]);
}

/** Writes a file whole or not at all: a reader (apt, the next run) never sees half a package. */
export async function writeFileAtomic(file: string, data: Uint8Array): Promise<void> {
  const temp = `${file}.tmp-${process.pid}`;
  try {
    await writeFile(temp, data);
    await rename(temp, file);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}
