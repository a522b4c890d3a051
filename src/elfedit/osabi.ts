import { closeSync, fstatSync, openSync, read, statSync, write } from 'node:fs';
import { ArError } from '../formats/ar.js';
import { describeOsabi, locateOsabi, type OsabiLocations, type OsabiProblem } from '../formats/osabi.js';

/**
 * Reading and changing the ELF OS/ABI byte of files on disk: lone ELF files (objects,
 * executables, shared objects) and every member of ar archives.
 *
 * How a file is changed, and why that is safe:
 * - The whole file is read and every header validated before a byte is written, so a file we
 *   refuse (not ELF, a thin archive, one non-ELF member, a truncated header) stays
 *   byte-identical.
 * - The file is changed in place, and only at its OS/ABI bytes, like elfedit does: no temporary
 *   copy, so hard links, owner, mode and extended attributes stay as they were. Each possible
 *   intermediate state is a valid file (every byte is either the old value or the new one), so an
 *   interrupted run never leaves a torn file; running again finishes the job.
 * - Neighbouring changed bytes are written together with the unchanged bytes between them, in
 *   one write of the buffer just read: in libc.a a header sits every few kilobytes, and one write
 *   instead of two thousand is much cheaper. The file must not be written by anyone else
 *   meanwhile; a change of its size or mtime between reading and writing is detected and the
 *   file refused.
 * - A file whose bytes already hold the value is not written at all (its mtime stays).
 *
 * Several files are in flight at once: while one is searched (JavaScript, this thread), the next
 * is read and the previous written by libuv's threads, which copy the bytes on another core.
 * Copying is most of the cost, so overlapping it shortens a call on many files; FILES_IN_FLIGHT
 * is where more files in flight stopped paying (scripts/bench/osabi.mjs measures it;
 * docs/performance.md has the figures). Small calls (open, fstat, close) stay synchronous: a
 * thread-pool round trip costs more than they do.
 */

/** Changed bytes closer than this are written in one go, with the bytes between them. */
const SPAN_GAP = 64 * 1024;

export interface SetOsabiOptions {
  /** The value to write, 0-255. */
  readonly value: number;
  /** Like elfedit's --input-osabi: only headers that hold this value now are changed. */
  readonly onlyFrom?: number | undefined;
}

export interface SetOsabiResult {
  readonly file: string;
  /** ELF headers whose byte was changed. */
  readonly changed: number;
  /** ELF headers that already held the value. */
  readonly unchanged: number;
  /** ELF headers left alone because they did not hold the `onlyFrom` value. */
  readonly skipped: number;
  /** Why the file was refused; empty when it was not. */
  readonly problems: readonly OsabiProblem[];
}

export interface OsabiReading {
  /** The archive member; undefined for a lone ELF file. */
  readonly member: string | undefined;
  readonly value: number;
}

export interface GetOsabiResult {
  readonly file: string;
  readonly readings: readonly OsabiReading[];
  readonly problems: readonly OsabiProblem[];
}

/** How many files are read, searched or written at once; each holds a buffer of its size. */
const FILES_IN_FLIGHT = 3;
/** Above this many bytes in flight, no further file starts until one is done (one always may). */
const BYTES_IN_FLIGHT = 64 * 1024 * 1024;

/**
 * Buffers for the files in flight, reused from file to file: allocating fresh memory for each
 * archive costs more (page faults) than reading it.
 */
class BufferPool {
  readonly #free: Buffer[] = [];

  take(size: number): Buffer {
    const index = this.#free.findIndex((buffer) => buffer.length >= size);
    if (index >= 0) return this.#free.splice(index, 1)[0]!.subarray(0, size);
    // Never from node's shared small-buffer pool: give() hands the whole ArrayBuffer on.
    return Buffer.allocUnsafeSlow(size);
  }

  give(buffer: Buffer): void {
    this.#free.push(Buffer.from(buffer.buffer, buffer.byteOffset, buffer.buffer.byteLength - buffer.byteOffset));
  }
}

/** What a file will hold while in flight, and which file it is (two paths may be one file). */
interface Footprint {
  readonly size: number;
  /** Device and inode; undefined when the file cannot be found (it fails soon, alone). */
  readonly identity: string | undefined;
}

function footprintOf(file: string): Footprint {
  const stats = statSync(file, { throwIfNoEntry: false });
  return stats === undefined ? { size: 0, identity: undefined } : { size: stats.size, identity: `${stats.dev}:${stats.ino}` };
}

/**
 * Runs `work` on each file, at most FILES_IN_FLIGHT (and BYTES_IN_FLIGHT) at once; results in
 * input order. Paths to one file (named twice, or hard links) take their turns one after the
 * other: run side by side, the second would see the first's write as someone else's change.
 */
async function inFlight<R>(files: readonly string[], work: (file: string) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array<R>(files.length);
  const running = new Set<Promise<void>>();
  const lastJobOf = new Map<string, Promise<void>>();
  let bytes = 0;
  for (const [i, file] of files.entries()) {
    const { size, identity } = footprintOf(file);
    while (running.size >= FILES_IN_FLIGHT || (running.size > 0 && bytes + size > BYTES_IN_FLIGHT)) await Promise.race(running);
    bytes += size;
    const before = identity === undefined ? undefined : lastJobOf.get(identity);
    const job: Promise<void> = (before ?? Promise.resolve())
      .then(() => work(file))
      .then((result) => {
        results[i] = result;
        bytes -= size;
        running.delete(job);
      });
    running.add(job);
    if (identity !== undefined) lastJobOf.set(identity, job);
  }
  await Promise.all(running);
  return results;
}

function readAt(fd: number, buffer: Buffer, offset: number, length: number): Promise<number> {
  return new Promise((resolve, reject) => read(fd, buffer, offset, length, offset, (error, count) => (error ? reject(error) : resolve(count))));
}

function writeAt(fd: number, buffer: Buffer, offset: number, length: number): Promise<number> {
  return new Promise((resolve, reject) => write(fd, buffer, offset, length, offset, (error, count) => (error ? reject(error) : resolve(count))));
}

const ioProblem = (what: string, error: unknown): OsabiProblem => ({
  member: undefined,
  problem: `cannot ${what}: ${error instanceof Error ? error.message : String(error)}`,
});

interface ReadFile {
  /** The file's bytes, in a buffer of the pool: give it back when done. */
  readonly bytes: Buffer;
  readonly locations: OsabiLocations;
  readonly size: number;
  readonly mtimeMs: number;
}

async function readAndLocate(file: string, pool: BufferPool): Promise<ReadFile | OsabiProblem> {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (error) {
    return ioProblem('open it', error);
  }
  let buffer: Buffer | undefined;
  try {
    const stats = fstatSync(fd);
    if (!stats.isFile()) return { member: undefined, problem: 'not a regular file' };
    buffer = pool.take(stats.size);
    let done = 0;
    while (done < stats.size) {
      const count = await readAt(fd, buffer, done, stats.size - done);
      if (count === 0) break;
      done += count;
    }
    const bytes = buffer.subarray(0, done);
    return { bytes, locations: locateOsabi(bytes), size: stats.size, mtimeMs: stats.mtimeMs };
  } catch (error) {
    if (buffer) pool.give(buffer);
    return ioProblem('read it', error);
  } finally {
    closeSync(fd);
  }
}

/** Groups ascending offsets into [start, end) ranges whose gaps are below SPAN_GAP. */
export function spansOf(offsets: ArrayLike<number>): Array<readonly [start: number, end: number]> {
  const spans: Array<[number, number]> = [];
  let last: [number, number] | undefined;
  for (let i = 0; i < offsets.length; i++) {
    const offset = offsets[i]!;
    if (last && offset - last[1] < SPAN_GAP) {
      last[1] = offset + 1;
    } else {
      last = [offset, offset + 1];
      spans.push(last);
    }
  }
  return spans;
}

async function writeSpans(file: string, read: ReadFile, offsets: ArrayLike<number>): Promise<OsabiProblem | undefined> {
  let fd: number;
  try {
    fd = openSync(file, 'r+');
  } catch (error) {
    return ioProblem('open it for writing', error);
  }
  try {
    const stats = fstatSync(fd);
    if (stats.size !== read.size || stats.mtimeMs !== read.mtimeMs) {
      return { member: undefined, problem: 'changed by someone else while it was being read' };
    }
    for (const [start, end] of spansOf(offsets)) {
      let done = start;
      while (done < end) done += await writeAt(fd, read.bytes, done, end - done);
    }
    return undefined;
  } catch (error) {
    // Each byte is old or new, so the file is still valid; a second run finishes it.
    return ioProblem('write it (some headers may be changed already)', error);
  } finally {
    closeSync(fd);
  }
}

async function setOne(file: string, pool: BufferPool, options: SetOsabiOptions): Promise<SetOsabiResult> {
  const refused = (problems: readonly OsabiProblem[]): SetOsabiResult => ({ file, changed: 0, unchanged: 0, skipped: 0, problems });
  const read = await readAndLocate(file, pool);
  if ('problem' in read) return refused([read]);
  try {
    if (read.locations.problems.length > 0) return refused(read.locations.problems);
    // Indexed loops over typed arrays: this runs once per header, mostly before the optimising
    // compiler has got to it, where iterators cost several times more.
    const { bytes } = read;
    const sites = read.locations.offsets;
    const changed = new Uint32Array(sites.length);
    let count = 0;
    let unchanged = 0;
    let skipped = 0;
    for (let i = 0; i < sites.length; i++) {
      const offset = sites[i]!;
      const current = bytes[offset];
      if (options.onlyFrom !== undefined && current !== options.onlyFrom) {
        skipped++;
      } else if (current === options.value) {
        unchanged++;
      } else {
        bytes[offset] = options.value;
        changed[count++] = offset;
      }
    }
    const offsets = changed.subarray(0, count);
    if (count > 0) {
      const problem = await writeSpans(file, read, offsets);
      if (problem) return refused([problem]);
    }
    return { file, changed: offsets.length, unchanged, skipped, problems: [] };
  } finally {
    pool.give(read.bytes);
  }
}

/** One line saying what happened to a file that was not refused. */
export function describeSetResult(result: SetOsabiResult, value: number): string {
  const total = result.changed + result.unchanged + result.skipped;
  const headers = total === 1 ? 'ELF header' : 'ELF headers';
  let line = `${result.file}: ${result.changed} of ${total} ${headers} set to ${describeOsabi(value)}`;
  if (result.unchanged > 0) line += `, ${result.unchanged} had it already`;
  if (result.skipped > 0) line += `, ${result.skipped} left alone (other OS/ABI)`;
  return line;
}

/** Sets the OS/ABI byte of each file; a refused file does not stop the others. */
export function setOsabi(files: readonly string[], options: SetOsabiOptions): Promise<SetOsabiResult[]> {
  const pool = new BufferPool();
  return inFlight(files, (file) => setOne(file, pool, options));
}

/** The OS/ABI byte of each file (of each member, for archives). */
export function getOsabi(files: readonly string[]): Promise<GetOsabiResult[]> {
  const pool = new BufferPool();
  return inFlight(files, async (file) => {
    const read = await readAndLocate(file, pool);
    if ('problem' in read) return { file, readings: [], problems: [read] };
    try {
      // Names are read now, while the buffer still holds this file.
      const readings = Array.from(read.locations.offsets, (offset, i) => ({ member: read.locations.member(i), value: read.bytes[offset]! }));
      return { file, readings, problems: read.locations.problems };
    } catch (error) {
      if (error instanceof ArError) return { file, readings: [], problems: [{ member: undefined, problem: `corrupt archive: ${error.message}` }] };
      throw error;
    } finally {
      pool.give(read.bytes);
    }
  });
}
