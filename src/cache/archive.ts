import { createWriteStream } from 'node:fs';
import { chmod, lstat, lutimes, mkdir, readdir } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { ReadEntry } from 'tar';
import { HashingStream } from '../hash.js';
import { walkTree } from '../package/tree.js';
import { CorruptArtifact, isCleanPath, type ImageFile } from './manifest.js';

/** zstd level 3 on every core: a gcc-sized image packs in seconds and shrinks about fourfold. */
const ZSTD_PACK = ['-3', '-T0', '-q', '-c'];

/**
 * Every file and symbolic link under `dir`, sorted by path (folders are implied by paths). Read
 * the way packaging reads an image, so a device, fifo or socket is refused here as it is there:
 * the cache never keeps an image it could not give back whole.
 */
export async function listImage(dir: string): Promise<ImageFile[]> {
  const files: ImageFile[] = [];
  for (const entry of await walkTree(dir)) {
    if (entry.type === 'symlink') files.push({ path: entry.path, link: entry.linkTarget! });
    // Permission bits only: an image has no business with setuid or sticky bits.
    else if (entry.type === 'file') files.push({ path: entry.path, size: entry.size, mode: entry.mode & 0o777 });
  }
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

/** An archive entry's path as the manifest spells it: packImage writes `./opt/…`, folders end in `/`. */
function entryPath(raw: string): string {
  return raw.replace(/^(\.\/)+/, '').replace(/\/+$/, '');
}

/**
 * Says why an archive entry is not one of the image's, or undefined when it is. Each file and
 * link must be what the manifest lists (a hard link must name a listed file, a symbolic link its
 * exact target), and each folder must be a folder there (an empty one is not listed). The
 * manifest schema already holds every listed path to a clean relative form, none below another,
 * so an entry that passes is never written through a link or outside `dest`.
 */
function refusal(raw: string, type: string, linkpath: string | undefined, listed: ReadonlyMap<string, ImageFile>): string | undefined {
  const name = entryPath(raw);
  if (type === 'Directory') {
    if (name === '') return undefined;
    if (!isCleanPath(name)) return `${raw}: not a clean relative path`;
    const parts = name.split('/');
    for (let i = 1; i <= parts.length; i++) {
      const file = listed.get(parts.slice(0, i).join('/'));
      if (file) return `${raw}: a folder where the manifest lists ${'link' in file ? 'a symbolic link' : 'a file'}`;
    }
    return undefined;
  }
  const file = listed.get(name);
  if (['File', 'OldFile', 'ContiguousFile'].includes(type)) return file && 'mode' in file ? undefined : `${raw}: a file the manifest does not list`;
  if (type === 'Link') {
    const target = listed.get(entryPath(linkpath ?? ''));
    return file && 'mode' in file && target && 'mode' in target ? undefined : `${raw}: a hard link to ${linkpath} the manifest does not list`;
  }
  if (type === 'SymbolicLink') {
    if (file && 'link' in file && file.link === linkpath) return undefined;
    return `${raw}: a symbolic link to ${linkpath} the manifest does not list${file && 'link' in file ? ` (it lists -> ${file.link})` : ''}`;
  }
  return `${raw}: a ${type} entry, which no image holds`;
}

/**
 * Unpacks an archive made by packImage into `dest` (which must not exist yet), writing only the
 * entries the image's manifest lists. Link targets are kept as they were stored, absolute ones
 * too: they point into the installed prefix, not into `dest`. node-tar's own path protections
 * would rewrite those, so they are off and `refusal` stands in for them. Owners are never
 * restored; the process umask applies to modes, and restoreModes sets them as they were.
 *
 * Nothing is left running when this returns or throws: node-tar is never stopped halfway, so
 * the caller can remove `dest` at once.
 */
export async function unpackImage(archive: string, dest: string, files: readonly ImageFile[]): Promise<void> {
  await mkdir(dest, { recursive: true });
  const [tar, { execa }] = await Promise.all([import('tar'), import('execa')]);
  const listed = new Map(files.map((file) => [file.path, file]));
  const problems: string[] = [];
  const asked = new WeakSet<object>();
  const extract = tar.x({
    cwd: dest,
    preservePaths: true,
    preserveOwner: false,
    // Not strict: a strict extractor fails at the first warning while earlier entries are still
    // being written. Every warning is a problem all the same, reported once all is written.
    onwarn: (_code, message) => problems.push(message),
    filter: (raw, entry) => {
      const why = 'type' in entry ? refusal(raw, entry.type, entry.linkpath, listed) : undefined;
      asked.add(entry);
      if (why) problems.push(why);
      return why === undefined;
    },
  });
  // node-tar skips entries of a type it does not know without asking the filter.
  extract.on('ignoredEntry', (entry: ReadEntry) => {
    if (!asked.has(entry)) problems.push(`${entry.path}: an entry of a type no image holds (${entry.type})`);
  });
  const zstd = execa('zstd', ['-dc', '-q', archive], { stdout: 'pipe', stderr: 'pipe', buffer: { stdout: false } });
  const [unpacked, decompressed] = await Promise.allSettled([pipeline(zstd.stdout, extract), zstd]);
  for (const outcome of [decompressed, unpacked]) if (outcome.status === 'rejected') throw outcome.reason;
  if (problems.length > 0) {
    throw new CorruptArtifact(`entries the manifest does not list: ${problems.slice(0, 3).join('; ')}${problems.length > 3 ? `; and ${problems.length - 3} more` : ''}`);
  }
}
