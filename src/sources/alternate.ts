import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, readdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { zlib } from '../builtins.js';
import { UserError } from '../errors.js';
import { exists } from '../exists.js';
import { ArError, parseArchive, type ArMember } from '../formats/ar.js';
import { withFileLock } from '../process/lock.js';
import { HashingStream, hashFile } from '../hash.js';
import type { Alternate } from '../recipes/schema.js';
import { withSparseFile } from '../sparse-file.js';
import { downloadPath } from './cache.js';
import { ChecksumMismatch, changedInCache, recheck } from './download.js';

/** Where an alternate's Debian package is kept: content-addressed like every download. */
export function debPath(cacheDir: string, alternate: Alternate): string {
  return downloadPath(cacheDir, alternate.deb.sha256, `${alternate.deb.package}_${alternate.deb.version.replace(/^\d+:/, '')}.deb`);
}

/** Where the release file taken out of the package is kept. */
export function alternateFile(cacheDir: string, alternate: Alternate): string {
  return downloadPath(cacheDir, alternate.sha256, path.posix.basename(alternate.file));
}

export function describeAlternate(alternate: Alternate): string {
  return `${alternate.file} from Debian package ${alternate.deb.package}=${alternate.deb.version}`;
}

/**
 * `apt-get download PACKAGE=VERSION` into the cache, verified against the pinned sha256. A cached
 * package is hashed again before its release file is taken out (see `recheck`): one that changed
 * would otherwise fail every fetch of the alternate.
 */
async function downloadDeb(cacheDir: string, alternate: Alternate, log: (line: string) => void): Promise<string> {
  const target = debPath(cacheDir, alternate);
  const cached = await recheck(target, alternate.deb.sha256);
  if (cached === alternate.deb.sha256) return target;
  if (cached !== undefined) log(`${changedInCache(target, alternate.deb.sha256, cached)}; downloading it again`);
  const { execa } = await import('execa');
  await mkdir(path.dirname(target), { recursive: true });
  const scratch = await mkdtemp(`${path.dirname(target)}/apt-`);
  try {
    const spec = `${alternate.deb.package}=${alternate.deb.version}`;
    log(`apt-get download ${spec}`);
    const result = await execa('apt-get', ['download', spec], { cwd: scratch, reject: false, all: true });
    if (result.exitCode !== 0) {
      throw new UserError(`apt-get download ${spec} failed: ${(result.all ?? '').trim().split('\n').at(-1) ?? `exit ${result.exitCode}`}`);
    }
    const produced = (await readdir(scratch)).find((name) => name.endsWith('.deb'));
    if (!produced) throw new UserError(`apt-get download ${spec} produced no .deb`);
    const actual = await hashFile(path.join(scratch, produced));
    if (actual !== alternate.deb.sha256) throw new ChecksumMismatch(`apt:${spec}`, alternate.deb.sha256, actual);
    await rename(path.join(scratch, produced), target);
    return target;
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

/** An ar member header ends with these two bytes; anything else is not a header. */
const HEADER_END = '`\n';

/**
 * Where a .deb's members are, from their headers alone: each header says how far the next one is,
 * and the contents between them (a gcc-sized data member) are never read (see withSparseFile).
 */
async function debMembers(deb: string): Promise<readonly ArMember[]> {
  return withSparseFile(deb, async ({ bytes, size, read }) => {
    await read(0, Math.min(size, 8));
    for (let at = 8; at + 60 <= size; ) {
      await read(at, 60);
      if (bytes.toString('latin1', at + 58, at + 60) !== HEADER_END) break;
      const length = Number(bytes.toString('latin1', at + 48, at + 58).trim());
      if (!Number.isSafeInteger(length) || length < 0) break;
      at += 60 + length + (length % 2);
    }
    // Where the walk stopped early (no header there), parseArchive says what is wrong.
    try {
      return parseArchive(bytes).members;
    } catch (error) {
      if (error instanceof ArError) throw new UserError(`${deb}: ${error.message}`, { cause: error });
      throw error;
    }
  });
}

/** Streams one file out of a .deb's data archive into `dest`, returning its sha256. */
async function extractFromDeb(deb: string, inner: string, dest: string): Promise<string | undefined> {
  const data = (await debMembers(deb)).find((member) => member.name.startsWith('data.tar'));
  if (!data) throw new UserError(`${path.basename(deb)} has no data.tar member`);
  const kind = data.name.slice('data.tar'.length);
  const tool = { '.xz': 'xz', '.zst': 'zstd', '.bz2': 'bzip2' }[kind];
  if (kind !== '' && kind !== '.gz' && !tool) throw new UserError(`${path.basename(deb)}: unsupported ${data.name}`);
  const [tar, { execa }] = await Promise.all([import('tar'), import('execa')]);
  const wanted = new Set([inner, `./${inner}`]);
  const hasher = new HashingStream();
  let written: Promise<void> | undefined;
  const parser = new tar.Parser({
    onReadEntry: (entry) => {
      if (written || !wanted.has(entry.path) || entry.type !== 'File') {
        entry.resume();
        return;
      }
      written = pipeline(entry, hasher, createWriteStream(dest));
    },
  });
  const member = (): Readable =>
    data.size === 0 ? Readable.from([]) : createReadStream(deb, { start: data.dataOffset, end: data.dataOffset + data.size - 1 });
  if (kind === '.gz') await pipeline(member(), zlib().createGunzip(), parser);
  else if (kind === '') await pipeline(member(), parser);
  else {
    const decompress = execa(tool!, ['-dc'], { stdin: 'pipe', buffer: { stdout: false } });
    await Promise.all([pipeline(member(), decompress.stdin), pipeline(decompress.stdout, parser), decompress]);
  }
  if (!written) return undefined;
  await written;
  return hasher.digest();
}

/**
 * Makes the alternate's release file available in the cache: the Debian package is fetched and
 * verified, the named file taken out of it and verified in turn. Returns the file's path.
 */
export async function fetchAlternate(cacheDir: string, alternate: Alternate, log: (line: string) => void): Promise<string> {
  const target = alternateFile(cacheDir, alternate);
  if (await exists(target)) return target;
  return withFileLock(`${target}.lock`, async () => {
    if (await exists(target)) return target;
    const deb = await downloadDeb(cacheDir, alternate, log);
    log(`verified ${path.basename(deb)} (sha256 ${alternate.deb.sha256})`);
    await mkdir(path.dirname(target), { recursive: true });
    const part = `${target}.part`;
    try {
      const actual = await extractFromDeb(deb, alternate.file, part);
      if (actual === undefined) throw new UserError(`${path.basename(deb)} does not contain ${alternate.file}`);
      if (actual !== alternate.sha256) throw new ChecksumMismatch(`${alternate.file} in ${path.basename(deb)}`, alternate.sha256, actual);
      await rename(part, target);
    } finally {
      await rm(part, { force: true });
    }
    log(`took ${alternate.file} out of it (sha256 ${alternate.sha256})`);
    return target;
  });
}
