import { createWriteStream } from 'node:fs';
import { chmod, lstat, lutimes, mkdir, readdir, readlink } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { HashingStream } from '../hash.js';
import type { ImageFile } from './manifest.js';

/** zstd level 3 on every core: a gcc-sized image packs in seconds and shrinks about fourfold. */
const ZSTD_PACK = ['-3', '-T0', '-q', '-c'];

/** Every file and symbolic link under `dir`, sorted by path (folders are implied by paths). */
export async function listImage(dir: string): Promise<ImageFile[]> {
  const files: ImageFile[] = [];
  const walk = async (relative: string): Promise<void> => {
    const entries = await readdir(path.join(dir, relative), { withFileTypes: true });
    for (const entry of entries) {
      const child = relative ? `${relative}/${entry.name}` : entry.name;
      const full = path.join(dir, child);
      if (entry.isDirectory()) await walk(child);
      else if (entry.isSymbolicLink()) files.push({ path: child, link: await readlink(full) });
      else if (entry.isFile()) {
        const info = await lstat(full);
        // Permission bits only: an image has no business with setuid or sticky bits.
        files.push({ path: child, size: info.size, mode: info.mode & 0o777 });
      }
    }
  };
  await walk('');
  return files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/**
 * Gives each listed regular file the permission bits it was stored with (unpacking applied the
 * umask). Anything else at a listed path is left for the comparison with the manifest to report;
 * in particular a link is never followed.
 */
export async function restoreModes(dir: string, files: readonly ImageFile[]): Promise<void> {
  for (const file of files) {
    if (!('mode' in file)) continue;
    const target = path.join(dir, file.path);
    const info = await lstat(target).catch(() => undefined);
    if (info?.isFile()) await chmod(target, file.mode & 0o777);
  }
}

/**
 * Drops the fractions of a second from every modification time under `dir`. tar keeps whole
 * seconds, so without this a built image and the same image restored would differ in mtime — and
 * ccache, which knows a compiler by its size and mtime, would take a restored cross compiler for
 * a new one.
 */
export async function truncateMtimes(dir: string): Promise<void> {
  const settle = async (file: string): Promise<void> => {
    const info = await lstat(file);
    const seconds = Math.floor(info.mtimeMs / 1000);
    if (info.mtimeMs !== seconds * 1000) await lutimes(file, info.atime, seconds);
    if (info.isDirectory()) for (const name of await readdir(file)) await settle(path.join(file, name));
  };
  await settle(dir);
}

/**
 * Packs `dir` into `dest` (tar + zstd); returns the archive's sha256 and size. GNU tar packs: an
 * image is hundreds of megabytes of hard-linked files (gcc installs its drivers several times),
 * which node-tar's packer stalled on, and tar is a tool every build host has anyway.
 */
export async function packImage(dir: string, dest: string): Promise<{ sha256: string; size: number }> {
  await mkdir(path.dirname(dest), { recursive: true });
  const { execa } = await import('execa');
  // No owners or access times, which differ between machines; names sorted so that the same
  // image packs the same way.
  const packer = execa(
    'tar',
    ['-C', dir, '--sort=name', '--owner=0', '--group=0', '--numeric-owner', '--format=gnu', `--use-compress-program=zstd ${ZSTD_PACK.join(' ')}`, '-cf', '-', '.'],
    { stdout: 'pipe', stderr: 'pipe', buffer: { stdout: false } },
  );
  const hasher = new HashingStream();
  await Promise.all([pipeline(packer.stdout, hasher, createWriteStream(dest)), packer]);
  return { sha256: hasher.digest(), size: hasher.bytes };
}

/**
 * Unpacks an archive made by packImage into `dest` (which must not exist yet). node-tar refuses
 * absolute paths, `..` and writing through symbolic links; only files, folders and links are
 * accepted; owners are never restored. The process umask applies to modes: restoreModes sets
 * them as they were.
 */
export async function unpackImage(archive: string, dest: string): Promise<void> {
  await mkdir(dest, { recursive: true });
  const [tar, { execa }] = await Promise.all([import('tar'), import('execa')]);
  const extract = tar.x({
    cwd: dest,
    strict: true,
    preserveOwner: false,
    filter: (_path, entry) => {
      const type = 'type' in entry ? entry.type : undefined;
      return type === undefined || ['File', 'OldFile', 'ContiguousFile', 'Directory', 'SymbolicLink', 'Link'].includes(type);
    },
  });
  const zstd = execa('zstd', ['-dc', '-q', archive], { stdout: 'pipe', stderr: 'pipe', buffer: { stdout: false } });
  await Promise.all([pipeline(zstd.stdout, extract), zstd]);
}
