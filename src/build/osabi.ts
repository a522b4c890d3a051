import { closeSync, fstatSync, openSync, readSync, writeSync } from 'node:fs';
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
 * The file system calls are synchronous on purpose: a file takes a handful of large reads and
 * writes, for which the thread-pool round trips of the promise API cost more CPU than the copying
 * itself (a fifth more for 20 copies of libc.a, measured with scripts/bench/osabi.mjs). A 5 MB
 * archive takes a few milliseconds, short enough not to hold up a build's event loop.
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

/**
 * One read buffer for all files of a call, grown to the largest: allocating fresh memory for
 * each archive costs more (page faults) than reading it.
 */
class ReadBuffer {
  private buffer = Buffer.alloc(0);

  /** Reads the whole file; the returned view is valid until the next call. */
  readAll(fd: number, size: number): Buffer {
    if (this.buffer.length < size) this.buffer = Buffer.allocUnsafe(size);
    let done = 0;
    while (done < size) {
      const read = readSync(fd, this.buffer, done, size - done, done);
      if (read === 0) break;
      done += read;
    }
    return this.buffer.subarray(0, done);
  }
}

const ioProblem = (what: string, error: unknown): OsabiProblem => ({
  member: undefined,
  problem: `cannot ${what}: ${error instanceof Error ? error.message : String(error)}`,
});

interface ReadFile {
  readonly bytes: Buffer;
  readonly locations: OsabiLocations;
  readonly size: number;
  readonly mtimeMs: number;
}

function readAndLocate(file: string, buffer: ReadBuffer): ReadFile | OsabiProblem {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (error) {
    return ioProblem('open it', error);
  }
  try {
    const stats = fstatSync(fd);
    if (!stats.isFile()) return { member: undefined, problem: 'not a regular file' };
    const bytes = buffer.readAll(fd, stats.size);
    return { bytes, locations: locateOsabi(bytes), size: stats.size, mtimeMs: stats.mtimeMs };
  } catch (error) {
    return ioProblem('read it', error);
  } finally {
    closeSync(fd);
  }
}

/** Groups ascending offsets into [start, end) ranges whose gaps are below SPAN_GAP. */
export function spansOf(offsets: readonly number[]): Array<readonly [start: number, end: number]> {
  const spans: Array<[number, number]> = [];
  for (const offset of offsets) {
    const last = spans.at(-1);
    if (last && offset - last[1] < SPAN_GAP) last[1] = offset + 1;
    else spans.push([offset, offset + 1]);
  }
  return spans;
}

function writeSpans(file: string, read: ReadFile, offsets: readonly number[]): OsabiProblem | undefined {
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
      while (done < end) done += writeSync(fd, read.bytes, done, end - done, done);
    }
    return undefined;
  } catch (error) {
    // Each byte is old or new, so the file is still valid; a second run finishes it.
    return ioProblem('write it (some headers may be changed already)', error);
  } finally {
    closeSync(fd);
  }
}

function setOne(file: string, buffer: ReadBuffer, options: SetOsabiOptions): SetOsabiResult {
  const refused = (problems: readonly OsabiProblem[]): SetOsabiResult => ({ file, changed: 0, unchanged: 0, skipped: 0, problems });
  const read = readAndLocate(file, buffer);
  if ('problem' in read) return refused([read]);
  if (read.locations.problems.length > 0) return refused(read.locations.problems);
  const offsets: number[] = [];
  let unchanged = 0;
  let skipped = 0;
  for (const site of read.locations.sites) {
    if (options.onlyFrom !== undefined && site.value !== options.onlyFrom) skipped++;
    else if (site.value === options.value) unchanged++;
    else offsets.push(site.offset);
  }
  if (offsets.length > 0) {
    for (const offset of offsets) read.bytes[offset] = options.value;
    const problem = writeSpans(file, read, offsets);
    if (problem) return refused([problem]);
  }
  return { file, changed: offsets.length, unchanged, skipped, problems: [] };
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
export function setOsabi(files: readonly string[], options: SetOsabiOptions): SetOsabiResult[] {
  const buffer = new ReadBuffer();
  return files.map((file) => setOne(file, buffer, options));
}

/** The OS/ABI byte of each file (of each member, for archives). */
export function getOsabi(files: readonly string[]): GetOsabiResult[] {
  const buffer = new ReadBuffer();
  return files.map((file) => {
    const read = readAndLocate(file, buffer);
    if ('problem' in read) return { file, readings: [], problems: [read] };
    // Names are read now, while the buffer still holds this file.
    const readings = read.locations.sites.map((site) => ({ member: site.entry?.name, value: site.value }));
    return { file, readings, problems: read.locations.problems };
  });
}
