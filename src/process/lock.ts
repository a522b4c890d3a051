import { mkdir, open, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { LockError } from '../errors.js';

export type Unlock = () => Promise<void>;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Tries to take a lock file (created with O_EXCL, holding our pid). A lock left by a process that
 * no longer exists is taken over. Returns the unlock function, or the pid of the live holder.
 */
export async function tryLock(file: string): Promise<Unlock | { holder: number }> {
  await mkdir(path.dirname(file), { recursive: true });
  for (;;) {
    try {
      const handle = await open(file, 'wx');
      await handle.writeFile(`${process.pid}\n`);
      await handle.close();
      return () => rm(file, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const pid = Number.parseInt(await readFile(file, 'utf8').catch(() => ''), 10);
      // An empty file is a lock being written right now: treat it as held.
      if (Number.isNaN(pid) || alive(pid)) return { holder: Number.isNaN(pid) ? 0 : pid };
      await rm(file, { force: true });
    }
  }
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
