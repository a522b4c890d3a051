import { randomBytes } from 'node:crypto';
import { link, mkdir, open, readFile, rm, stat, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { LockError } from '../errors.js';
import { sha256Hex } from '../hash.js';
import { procStat } from './proc.js';

export type Unlock = () => Promise<void>;

/**
 * A marker older than this was left by a process killed while it removed a stale lock (which
 * takes microseconds), and may go.
 */
const MARKER_EXPIRY_MS = 10_000;

/** Who a lock file says holds it. */
export interface LockHolder {
  readonly pid: number;
  /** The holder's start time (see ProcStat.start); undefined in a lock written without one. */
  readonly start: string | undefined;
}

/**
 * The holder named by a lock file's text (`PID START TOKEN`, or a bare pid as older versions
 * wrote), or undefined for text that names nobody: empty, cut short or garbage.
 */
export function parseLock(text: string): LockHolder | undefined {
  const [pid, start] = text.trim().split(/\s+/);
  if (pid === undefined || !/^\d+$/.test(pid) || Number(pid) <= 0) return undefined;
  if (start !== undefined && start !== '-' && !/^\d+$/.test(start)) return undefined;
  return { pid: Number(pid), start: start === undefined || start === '-' ? undefined : start };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Whether the holder still runs: its pid, and where both are known its start time, match. */
function holderRuns(holder: LockHolder): boolean {
  if (!alive(holder.pid)) return false;
  const start = holder.start === undefined ? undefined : procStat(holder.pid)?.start;
  return start === undefined || start === holder.start;
}

const codeOf = (error: unknown): string | undefined => (error as NodeJS.ErrnoException | undefined)?.code;

/** A lock file as read once: its text, and what tells it from any other lock file at that name. */
interface SeenLock {
  readonly text: string;
  readonly identity: string;
}

/** Reads the lock; undefined when it is not there. A lock that cannot be read names nobody. */
async function readLock(file: string): Promise<SeenLock | undefined> {
  let handle;
  try {
    handle = await open(file, 'r');
  } catch (error) {
    if (codeOf(error) === 'ENOENT') return undefined;
    return { text: '', identity: `unreadable:${codeOf(error) ?? ''}` };
  }
  try {
    const { ino } = await handle.stat();
    const text = await handle.readFile('utf8');
    // Every lock this code writes carries a token of its own; the inode tells apart the
    // tokenless files of older versions (an empty one, a bare pid).
    return { text, identity: `${ino}:${text}` };
  } finally {
    await handle.close();
  }
}

/**
 * Removes a stale lock, unless another process removes it first. Removing by name is not
 * enough: two processes that both found the same stale lock would both remove "it", and the
 * second would remove the fresh lock the first had just taken. So whoever removes a stale lock
 * first claims it with a marker named after that very lock (made with O_EXCL, so only one
 * process can), then checks that the lock at the name is still the one found stale. Nobody
 * else can remove that lock meanwhile: its holder is dead and every other remover needs the
 * marker.
 */
async function removeStale(file: string, seen: SeenLock): Promise<void> {
  const marker = `${file}.${sha256Hex(seen.identity).slice(0, 16)}.breaking`;
  try {
    await writeFile(marker, `${process.pid}\n`, { flag: 'wx' });
  } catch (error) {
    if (codeOf(error) !== 'EEXIST') throw error;
    const made = await stat(marker).then((info) => info.mtimeMs, () => undefined);
    if (made !== undefined && Date.now() - made > MARKER_EXPIRY_MS) await rm(marker, { force: true });
    else await new Promise((resolve) => setTimeout(resolve, 5));
    return;
  }
  try {
    const now = await readLock(file);
    if (now?.identity === seen.identity) {
      await unlink(file).catch((error: unknown) => {
        if (codeOf(error) !== 'ENOENT') throw error;
      });
    }
  } finally {
    await rm(marker, { force: true });
  }
}

/**
 * Tries to take a lock file. Returns the unlock function, or the pid of the live holder. A lock
 * whose holder is gone, or that names nobody, is stale and taken over.
 *
 * The lock is never seen empty or half-written: its text goes into a file of our own in the
 * same folder first, which is then hard-linked to the lock's name. link() is atomic and fails
 * with EEXIST when the name is taken, as O_EXCL does; a process killed before it leaves only
 * its own file, which no other process reads.
 */
export async function tryLock(file: string): Promise<Unlock | { holder: number }> {
  const token = randomBytes(8).toString('hex');
  const text = `${process.pid} ${procStat(process.pid)?.start ?? '-'} ${token}\n`;
  const own = `${file}.${token}.new`;
  for (;;) {
    await mkdir(path.dirname(file), { recursive: true });
    let taken = false;
    try {
      await writeFile(own, text);
      await link(own, file);
      taken = true;
    } catch (error) {
      if (codeOf(error) !== 'EEXIST') throw error;
    } finally {
      await rm(own, { force: true });
    }
    if (taken) return () => unlockOwn(file, text);
    const seen = await readLock(file);
    // Released between our link and the read: try again.
    if (seen === undefined) continue;
    const holder = parseLock(seen.text);
    if (holder !== undefined && holderRuns(holder)) return { holder: holder.pid };
    await removeStale(file, seen);
  }
}

/** Removes the lock if it is still ours: one removed by hand and taken by another run is not. */
async function unlockOwn(file: string, text: string): Promise<void> {
  const now = await readFile(file, 'utf8').catch(() => undefined);
  if (now === text) await rm(file, { force: true });
}

/** The work-directory lock: a second concurrent run is refused with a clear message. */
export async function acquireLock(file: string): Promise<Unlock> {
  const result = await tryLock(file);
  if (typeof result === 'function') return result;
  throw new LockError(
    `another hermit-toolchain run (pid ${result.holder}) is using the work directory ${path.dirname(file)}; wait for it to finish or use another --work`,
  );
}

/** Runs `fn` holding a lock file, waiting while another live process holds it. */
export async function withFileLock<T>(file: string, fn: () => Promise<T>, pollMs = 100): Promise<T> {
  for (;;) {
    const result = await tryLock(file);
    if (typeof result === 'function') {
      try {
        return await fn();
      } finally {
        await result();
      }
    }
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}
