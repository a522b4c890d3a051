import { createReadStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { UserError } from '../errors.js';

type Compression = 'gzip' | 'xz' | 'bzip2' | 'zstd' | 'none';

export function compressionOf(file: string): Compression {
  if (/\.(tar\.gz|tgz)$/.test(file)) return 'gzip';
  if (/\.(tar\.xz|txz)$/.test(file)) return 'xz';
  if (/\.(tar\.bz2|tbz2?)$/.test(file)) return 'bzip2';
  if (/\.(tar\.zst|tzst)$/.test(file)) return 'zstd';
  if (/\.tar$/.test(file)) return 'none';
  throw new UserError(`do not know how to unpack ${file} (known: .tar, .tar.gz, .tar.xz, .tar.bz2, .tar.zst)`);
}

/** Decompressors node-tar lacks (or lacks on Node 20) come from the system. */
const SYSTEM_DECOMPRESSOR: Partial<Record<Compression, string>> = { xz: 'xz', bzip2: 'bzip2', zstd: 'zstd' };

/**
 * Unpacks a tarball into `dest` (emptied first), dropping the top folder. node-tar already refuses
 * absolute paths and `..`; ownership is never restored and modes are masked to drop setuid bits.
 */
export async function unpackArchive(archive: string, dest: string): Promise<void> {
  await rm(dest, { recursive: true, force: true });
  await mkdir(dest, { recursive: true });
  const [tar, { execa }] = await Promise.all([import('tar'), import('execa')]);
  const extract = tar.x({
    cwd: dest,
    strip: 1,
    preserveOwner: false,
    noChmod: false,
    // Only plain files, folders and links belong in a source tree.
    filter: (_path, entry) => {
      const type = 'type' in entry ? entry.type : undefined;
      return type === undefined || ['File', 'OldFile', 'ContiguousFile', 'Directory', 'SymbolicLink', 'Link'].includes(type);
    },
    onReadEntry: (entry) => {
      entry.mode = (entry.mode ?? 0o644) & 0o777;
    },
  });
  const tool = SYSTEM_DECOMPRESSOR[compressionOf(archive)];
  if (tool) {
    const decompress = execa(tool, ['-dc', archive], { stdout: 'pipe', stderr: 'pipe', buffer: { stdout: false } });
    await Promise.all([pipeline(decompress.stdout, extract), decompress]);
  } else {
    await pipeline(createReadStream(archive), extract);
  }
}
