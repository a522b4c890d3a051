import { createReadStream, createWriteStream } from 'node:fs';
import { chmod, mkdir, readdir, rename, rm, symlink } from 'node:fs/promises';
import path from 'node:path';
import { Transform } from 'node:stream';
import { text } from 'node:stream/consumers';
import { pipeline } from 'node:stream/promises';
import type { Entry, ZipFile } from 'yauzl';
import { UserError, describeError } from '../errors.js';
import { TarFormatError, TarStreamFilter } from '../formats/tar-stream.js';
import { startTool, type StepFailure, type ToolExit } from '../process/run.js';
import { EntryGuard, UnsafeArchive } from './entry-rules.js';
import { emptyFolder } from '../folders.js';

export { UnsafeArchive };

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

/** An archive that could not be read (truncated, corrupt, not what its name says). */
export class UnpackError extends UserError {}

/**
 * The folder being unpacked into filled up. Said as Node says it of a write of its own (the task
 * adds which folder), with the code callers look for.
 */
export class NoRoomToUnpack extends UnpackError {
  readonly code = 'ENOSPC';
  constructor(cause: unknown) {
    super('ENOSPC: no space left on device, write', { cause });
  }
}

/**
 * The decompressor of each compressed format, given the archive's name (it reads the file itself;
 * only what it writes passes through node). gzip gets -f so that a plain tar named .tar.gz still
 * unpacks (it copies what is not gzip through unchanged).
 */
const DECOMPRESSOR: Partial<Record<Format, readonly string[]>> = {
  'tar.gz': ['gzip', '-dcf'],
  'tar.xz': ['xz', '-dc'],
  'tar.bz2': ['bzip2', '-dc'],
  'tar.zst': ['zstd', '-dcq'],
};

/**
 * GNU tar reading the filtered archive on stdin. As root it would restore owners and setuid,
 * setgid and sticky bits: these options keep names, contents, links, times and permission bits
 * under the umask only, and leave the folder it unpacks into as it is (a `./` member would set
 * its mode). -B: a pipe gives short reads, which tar must gather into whole records.
 */
const TAR = [
  'tar',
  '-x',
  '-f',
  '-',
  '-B',
  '--no-same-owner',
  '--no-same-permissions',
  '--no-overwrite-dir',
  '--delay-directory-restore',
  '--no-acls',
  '--no-selinux',
  '--no-xattrs',
  '--warning=no-unknown-keyword',
];

/** TAR_OPTIONS would add the user's options (--overwrite writes through symlinks); NO_ROOM matches English. */
const TAR_ENV = { TAR_OPTIONS: undefined, LC_ALL: 'C.UTF-8' };

/** What GNU tar says when the disk is full: the errno, or for a short write only that. */
const NO_ROOM = /No space left on device|Wrote only \d+ of \d+ bytes/;

/** The first line of a tool's stderr worth showing. */
function firstProblem(stderr: string): string | undefined {
  return stderr
    .split('\n')
    .map((line) => line.trim())
    .find((line) => line !== '' && !line.endsWith('Exiting with failure status due to previous errors'));
}

function toolError(archive: string, failure: StepFailure, exit: ToolExit): UnpackError {
  return new UnpackError(`cannot unpack ${path.basename(archive)}: ${firstProblem(exit.stderr) ?? failure.message}`, { cause: failure });
}

/**
 * Extracts a tarball with GNU tar, decompressed once and filtered on its way: every header is
 * read here first (TarStreamFilter) and judged (EntryGuard), and only the members the guard lets
 * through reach tar, which never sees a refused or dropped one. After a refusal tar gets nothing
 * more; the rest is read only to say how much of the archive is unsafe.
 */
async function extractTar(archive: string, format: Format, into: string, guard: EntryGuard, log?: (line: string) => void, signal?: AbortSignal): Promise<void> {
  const decompressor = DECOMPRESSOR[format];
  const [source, tar] = await Promise.all([
    decompressor ? startTool([...decompressor, '--', archive], { stdin: 'ignore', stdout: 'pipe', signal }) : undefined,
    startTool([...TAR, '-C', into], { stdin: 'pipe', stdout: 'ignore', env: TAR_ENV, signal }),
  ]);
  const filter = new TarStreamFilter((member) => {
    const admitted = guard.check(member) !== undefined;
    if (guard.refused) filter.stopPassing();
    return admitted && !guard.refused;
  });
  // One write to tar per chunk read, however many members it holds: a write per header and body
  // would be a system call each.
  const pass = (stream: Transform, parts: Buffer[]): void => {
    if (parts.length > 0) stream.push(parts.length === 1 ? parts[0]! : Buffer.concat(parts));
  };
  const gate = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      try {
        pass(this, filter.write(chunk));
        done();
      } catch (error) {
        done(error as Error);
      }
    },
    flush(done) {
      try {
        pass(this, filter.end());
        done();
      } catch (error) {
        done(error as Error);
      }
    },
  });
  const piped = await pipeline(source?.stdout ?? createReadStream(archive), gate, tar.stdin!, signal ? { signal } : {}).then(
    () => undefined,
    (error: unknown) => error,
  );
  const [read, written] = await Promise.all([source?.exit, tar.exit]);
  // Cancelled: the tools were ended on purpose, and their complaints are not the news.
  if (signal?.aborted) throw piped ?? signal.reason;
  // Which failure is the cause: a refusal; a decompressor that failed on its own, not of the pipe
  // closed after another failure; a stream that is not a tar archive; then tar's own.
  guard.verdict(archive);
  const readFailure = read?.failure;
  if (readFailure && !(piped !== undefined && (read.signal !== undefined || /broken pipe/i.test(read.stderr)))) throw toolError(archive, readFailure, read);
  if (piped instanceof TarFormatError) throw new UnpackError(`cannot unpack ${path.basename(archive)}: ${piped.message}`, { cause: piped });
  if (written.failure) throw NO_ROOM.test(written.stderr) ? new NoRoomToUnpack(written.failure) : toolError(archive, written.failure, written);
  if (piped !== undefined) throw piped;
  for (const line of written.stderr.split('\n')) if (line.trim() !== '') log?.(line);
}

/**
 * The first thing under `into` that no source tree may hold and GNU tar was told not to make: a
 * device, FIFO or socket, or a file with setuid or setgid. The filter never lets one through;
 * this checks the tree itself, so that a gap in the filter cannot become one in the tree.
 */
async function forbiddenIn(into: string): Promise<string | undefined> {
  const find = await startTool(
    ['find', into, '(', '-type', 'b', '-o', '-type', 'c', '-o', '-type', 'p', '-o', '-type', 's', '-o', '-type', 'f', '-perm', '/6000', ')', '-print0', '-quit'],
    { stdin: 'ignore', stdout: 'pipe' },
  );
  const [found, exit] = await Promise.all([text(find.stdout!), find.exit]);
  if (exit.failure) throw new UnpackError(`cannot check what was unpacked into ${into}: ${firstProblem(exit.stderr) ?? exit.failure.message}`, { cause: exit.failure });
  const first = found.split('\0')[0];
  return first ? path.relative(into, first) : undefined;
}

const SAFE_MODE = 0o777;

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
        const relative = guard.check({ kind: 'symlink', names: [entry.fileName], links: [target] });
        if (relative !== undefined) {
          await mkdir(path.dirname(path.join(into, relative)), { recursive: true });
          await symlink(target, path.join(into, relative));
        }
        continue;
      }
      const relative = guard.check({ kind: isDir ? 'directory' : 'file', names: [entry.fileName] });
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
export async function unpackArchive(archive: string, { dest, temp }: UnpackTarget, log?: (line: string) => void, signal?: AbortSignal): Promise<void> {
  const format = archiveFormat(archive);
  await emptyFolder(temp);
  const guard = new EntryGuard();
  try {
    if (format === 'zip') {
      await extractZip(archive, temp, guard).catch((error: Error) => {
        // yauzl validates names itself and stops at the first bad one: say it in our words.
        const bad = /^(invalid relative path|absolute path): (.*)$/.exec(error.message);
        if (!bad) throw error;
        guard.refuse(`${bad[2]}: ${bad[1] === 'absolute path' ? 'absolute path' : 'path leaves the source folder'}`);
      });
    } else {
      await extractTar(archive, format, temp, guard, log, signal);
      const forbidden = await forbiddenIn(temp);
      if (forbidden !== undefined) throw new UnsafeArchive(`refusing ${path.basename(archive)}: ${forbidden} was unpacked as a device, FIFO, socket or setuid/setgid file`);
    }
    guard.verdict(archive);
    for (const line of guard.dropped) log?.(line);
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
    // The zip reader's and the file system's own words do not say which archive they were reading.
    throw new UnpackError(`cannot unpack ${path.basename(archive)}: ${describeError(error)}`, { cause: error });
  }
}
