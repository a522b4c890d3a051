import { createReadStream, createWriteStream } from 'node:fs';
import { chmod, mkdir, readdir, rename, rm, symlink } from 'node:fs/promises';
import path from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Entry, ZipFile } from 'yauzl';
import { UserError, describeError } from '../errors.js';

type Format = 'tar' | 'tar.gz' | 'tar.xz' | 'tar.bz2' | 'tar.zst' | 'zip';

export function archiveFormat(file: string): Format {
  const name = file.toLowerCase();
  if (/\.(tar\.gz|tgz)$/.test(name)) return 'tar.gz';
  if (/\.(tar\.xz|txz)$/.test(name)) return 'tar.xz';
  if (/\.(tar\.bz2|tbz2?)$/.test(name)) return 'tar.bz2';
  if (/\.(tar\.zst|tzst)$/.test(name)) return 'tar.zst';
  if (name.endsWith('.tar')) return 'tar';
  if (name.endsWith('.zip')) return 'zip';
  throw new UserError(`do not know how to unpack ${path.basename(file)} (known: .tar, .tar.gz, .tar.xz, .tar.bz2, .tar.zst, .zip)`);
}

/** node-tar has no xz or bzip2, and its zstd needs Node 22: those go through the system tools. */
const SYSTEM_DECOMPRESSOR: Partial<Record<Format, string>> = { 'tar.xz': 'xz', 'tar.bz2': 'bzip2', 'tar.zst': 'zstd' };

export class UnsafeArchive extends UserError {}

/** An archive that could not be read (truncated, corrupt, not what its name says). */
export class UnpackError extends UserError {}

/** A path from an archive made relative to the folder it is unpacked into, or why it cannot be. */
function insideFolder(candidate: string): string | 'absolute' | 'escapes' {
  if (candidate.startsWith('/') || /^[A-Za-z]:[\\/]/.test(candidate)) return 'absolute';
  const normalized = path.posix.normalize(candidate.replaceAll('\\', '/')).replace(/^(\.\/)+/, '').replace(/\/$/, '');
  if (normalized === '..' || normalized.startsWith('../')) return 'escapes';
  return normalized === '.' ? '' : normalized;
}

/**
 * Decides, entry by entry, what may be written into a source folder. Entries that would land
 * outside it — absolute paths, `..`, a path through a symlink the archive made, a link pointing
 * out — make the whole archive refused; device nodes and FIFOs are dropped; modes lose their
 * setuid/setgid/sticky bits.
 */
export class EntryGuard {
  private readonly symlinks = new Set<string>();
  readonly problems: string[] = [];
  readonly dropped: string[] = [];

  /** The entry's path inside the folder, or undefined when it must not be written. */
  check(rawPath: string, type: 'file' | 'directory' | 'symlink' | 'hardlink' | 'other', linkTarget?: string): string | undefined {
    const relative = insideFolder(rawPath);
    if (relative === 'absolute' || relative === 'escapes') {
      this.problems.push(`${rawPath}: ${relative === 'absolute' ? 'absolute path' : 'path leaves the source folder'}`);
      return undefined;
    }
    if (type === 'other') {
      this.dropped.push(rawPath);
      return undefined;
    }
    const parts = relative.split('/');
    for (let i = 1; i < parts.length; i++) {
      if (this.symlinks.has(parts.slice(0, i).join('/'))) {
        this.problems.push(`${rawPath}: would be written through the symlink ${parts.slice(0, i).join('/')}`);
        return undefined;
      }
    }
    if (type === 'hardlink' && insideFolder(linkTarget ?? '') === relative) {
      // A file linked to itself: some archives (Debian's binutils-2.40.tar.xz) list every file
      // twice, the second time as such a link. Writing it would replace the file by nothing.
      return undefined;
    }
    if (type === 'symlink' || type === 'hardlink') {
      const target = linkTarget ?? '';
      // A symlink target is relative to the link's folder; a hard link names a path in the archive.
      const resolved = type === 'symlink' ? path.posix.join(path.posix.dirname(relative), target) : target;
      const where = insideFolder(resolved);
      if (path.posix.isAbsolute(target) || where === 'absolute' || where === 'escapes') {
        this.problems.push(`${rawPath}: links to ${target}, outside the source folder`);
        return undefined;
      }
      if (type === 'symlink') this.symlinks.add(relative);
    }
    return relative;
  }

  /** Throws when the archive tried anything unsafe. */
  verdict(archive: string): void {
    if (this.problems.length === 0) return;
    const shown = this.problems.slice(0, 5).join('; ');
    throw new UnsafeArchive(`refusing ${path.basename(archive)}: ${this.problems.length} unsafe entr${this.problems.length === 1 ? 'y' : 'ies'}: ${shown}`);
  }
}

const SAFE_MODE = 0o777;

/**
 * Gathers a pipe's small reads into large chunks. node-tar writes each chunk of an entry as it
 * gets it, through the thread pool: fed 64 KiB pipe reads, unpacking gcc meant millions of
 * small writes and thread hand-offs; fed megabytes, most files are written in one go.
 */
function rechunk(size = 4 << 20): Transform {
  let parts: Buffer[] = [];
  let held = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      parts.push(chunk);
      held += chunk.length;
      if (held < size) return done();
      const whole = Buffer.concat(parts, held);
      parts = [];
      held = 0;
      done(null, whole);
    },
    flush(done) {
      done(null, held > 0 ? Buffer.concat(parts, held) : undefined);
    },
  });
}

async function extractTar(archive: string, format: Format, into: string, guard: EntryGuard): Promise<void> {
  const [tar, { execa }] = await Promise.all([import('tar'), import('execa')]);
  const extract = tar.x({
    cwd: into,
    preserveOwner: false,
    filter: (entryPath, entry) => {
      const type = 'type' in entry ? entry.type : 'File';
      const kind =
        type === 'Directory'
          ? 'directory'
          : type === 'SymbolicLink'
            ? 'symlink'
            : type === 'Link'
              ? 'hardlink'
              : ['File', 'OldFile', 'ContiguousFile'].includes(type)
                ? 'file'
                : 'other';
      const linkpath = 'linkpath' in entry ? entry.linkpath : undefined;
      if (['GlobalExtendedHeader', 'ExtendedHeader', 'NextFileHasLongPath', 'NextFileHasLongLinkpath'].includes(type)) return true;
      return guard.check(entryPath, kind, linkpath ?? undefined) !== undefined;
    },
    onReadEntry: (entry) => {
      if (entry.mode !== undefined) entry.mode &= SAFE_MODE;
    },
  });
  const tool = SYSTEM_DECOMPRESSOR[format];
  if (tool) {
    const decompress = execa(tool, ['-dc', archive], { stdout: 'pipe', stderr: 'pipe', buffer: { stdout: false } });
    await Promise.all([pipeline(decompress.stdout, rechunk(), extract), decompress]);
  } else {
    // node-tar recognises gzip by its magic bytes.
    await pipeline(createReadStream(archive), extract);
  }
}

async function extractZip(archive: string, into: string, guard: EntryGuard): Promise<void> {
  const { default: yauzl } = await import('yauzl');
  const zip = await new Promise<ZipFile>((resolve, reject) =>
    yauzl.open(archive, { lazyEntries: true, decodeStrings: true, validateEntrySizes: true, strictFileNames: false }, (error, file) =>
      error ? reject(error) : resolve(file),
    ),
  );
  const openStream = (entry: Entry): Promise<NodeJS.ReadableStream> =>
    new Promise((resolve, reject) => zip.openReadStream(entry, (error, stream) => (error ? reject(error) : resolve(stream))));
  try {
    for (let entry = await nextEntry(zip); entry; entry = await nextEntry(zip)) {
      const unixMode = (entry.externalFileAttributes >>> 16) & 0o170777;
      const isLink = (unixMode & 0o170000) === 0o120000;
      const isDir = entry.fileName.endsWith('/');
      if (isLink) {
        const target = await readAll(await openStream(entry));
        const relative = guard.check(entry.fileName, 'symlink', target);
        if (relative !== undefined) {
          await mkdir(path.dirname(path.join(into, relative)), { recursive: true });
          await symlink(target, path.join(into, relative));
        }
        continue;
      }
      const relative = guard.check(entry.fileName, isDir ? 'directory' : 'file');
      if (relative === undefined) continue;
      const target = path.join(into, relative);
      if (isDir) {
        await mkdir(target, { recursive: true });
        continue;
      }
      await mkdir(path.dirname(target), { recursive: true });
      await pipeline(await openStream(entry), createWriteStream(target));
      const mode = unixMode & SAFE_MODE;
      await chmod(target, mode === 0 ? 0o644 : mode);
    }
  } finally {
    zip.close();
  }
}

/** The next entry of a zip read with lazyEntries, or undefined at the end. */
function nextEntry(zip: ZipFile): Promise<Entry | undefined> {
  return new Promise((resolve, reject) => {
    const cleanup = (): void => {
      zip.off('entry', onEntry).off('end', onEnd).off('error', onError);
    };
    const onEntry = (entry: Entry): void => (cleanup(), resolve(entry));
    const onEnd = (): void => (cleanup(), resolve(undefined));
    const onError = (error: Error): void => (cleanup(), reject(error));
    zip.on('entry', onEntry).on('end', onEnd).on('error', onError);
    zip.readEntry();
  });
}

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}

/** Where an archive goes: `dest` (replaced) and, while unpacking, `temp` beside it. */
export interface UnpackTarget {
  readonly dest: string;
  readonly temp: string;
}

/**
 * Unpacks an archive into `dest` (replaced), dropping the top folder when the archive has exactly
 * one, as release tarballs do. The archive is first unpacked into `temp` (on the same file
 * system), so a refused or broken archive never leaves a half-written source folder.
 */
export async function unpackArchive(archive: string, { dest, temp }: UnpackTarget, log?: (line: string) => void): Promise<void> {
  const format = archiveFormat(archive);
  await rm(temp, { recursive: true, force: true });
  await mkdir(temp, { recursive: true });
  const guard = new EntryGuard();
  try {
    if (format === 'zip') {
      await extractZip(archive, temp, guard).catch((error: Error) => {
        // yauzl validates names itself and stops at the first bad one: say it in our words.
        const bad = /^(invalid relative path|absolute path): (.*)$/.exec(error.message);
        if (!bad) throw error;
        guard.problems.push(`${bad[2]}: ${bad[1] === 'absolute path' ? 'absolute path' : 'path leaves the source folder'}`);
      });
    } else {
      await extractTar(archive, format, temp, guard);
    }
    guard.verdict(archive);
    for (const name of guard.dropped) log?.(`dropped ${name}: not a file, folder or link`);
    const top = await readdir(temp, { withFileTypes: true });
    await rm(dest, { recursive: true, force: true });
    if (top.length === 1 && top[0]!.isDirectory()) {
      await rename(path.join(temp, top[0]!.name), dest);
      await rm(temp, { recursive: true, force: true });
    } else {
      await rename(temp, dest);
    }
  } catch (error) {
    await rm(temp, { recursive: true, force: true });
    if (error instanceof UserError) throw error;
    // The tar and zip readers' own words do not say which archive they were reading.
    throw new UnpackError(`cannot unpack ${path.basename(archive)}: ${describeError(error)}`, { cause: error });
  }
}
