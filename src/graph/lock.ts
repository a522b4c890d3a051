import { mkdir, open, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { LockError } from '../errors.js';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * An exclusive lock on a work directory: a file created with O_EXCL holding our pid. A lock
 * left by a process that no longer exists is taken over.
 */
export async function acquireLock(file: string): Promise<() => Promise<void>> {
  await mkdir(path.dirname(file), { recursive: true });
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const handle = await open(file, 'wx');
      await handle.writeFile(`${process.pid}\n`);
      await handle.close();
      return async () => {
        await rm(file, { force: true });
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const pid = Number.parseInt(await readFile(file, 'utf8').catch(() => ''), 10);
      if (Number.isInteger(pid) && pid > 0 && alive(pid)) {
        throw new LockError(
          `another hermit-toolchain run (pid ${pid}) is using the work directory ${path.dirname(file)}; wait for it to finish or use another --work`,
        );
      }
      await rm(file, { force: true });
    }
  }
  throw new LockError(`cannot lock the work directory (${file})`);
}
