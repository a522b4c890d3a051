import { existsSync, readFileSync, readSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CounterBudget } from '../../src/process/budget.js';
import { Jobserver, JobserverError } from '../../src/process/jobserver.js';
import { spawnStep } from '../../src/process/spawner.js';
import { acquireLock } from '../../src/process/lock.js';
import { tempDir } from '../support/tmp.js';
import { writeFileSync } from 'node:fs';
import path from 'node:path';

describe('job budgets', () => {
  it('the jobserver hands out exactly its size in tokens and takes them back', async () => {
    const server = await Jobserver.create(path.join(await tempDir(), 'fifo'), 3);
    try {
      for (let i = 0; i < 3; i++) await server.acquire();
      const controller = new AbortController();
      const waiting = server.acquire(controller.signal);
      setTimeout(() => controller.abort(new Error('enough')), 60);
      await expect(waiting).rejects.toThrow('enough');
      server.release();
      await server.acquire();
      expect(server.makeflags('-k -j8 --jobserver-auth=9,9')).toBe('-k -j3 --jobserver-auth=3,4');
    } finally {
      server.close();
    }
  });

  it('restores tokens a killed make lost once no task holds a slot', async () => {
    const server = await Jobserver.create(path.join(await tempDir(), 'fifo'), 2);
    try {
      await server.acquire();
      // A make that takes a token through the child descriptor and dies with it.
      readSync(server.childRead, Buffer.alloc(1), 0, 1, null);
      server.release();
      // Nothing took the slot given back in this turn of the event loop.
      await new Promise(setImmediate);
      await server.acquire();
      await server.acquire();
    } finally {
      server.close();
    }
  });

  it('hands a slot given back to the next task or, when no task takes it at once, to the pipe: never to both', async () => {
    const server = await Jobserver.create(path.join(await tempDir(), 'fifo'), 1);
    try {
      await server.acquire();
      server.release();
      await server.acquire();
      // Handed over, not copied: the pipe got no token for it.
      await new Promise(setImmediate);
      const controller = new AbortController();
      const second = server.acquire(controller.signal);
      setTimeout(() => controller.abort(new Error('one slot')), 60);
      await expect(second).rejects.toThrow('one slot');
      server.release();
      await new Promise(setImmediate);
      // A make reading the pipe gets it.
      expect(readSync(server.childRead, Buffer.alloc(1), 0, 1, null)).toBe(1);
    } finally {
      server.close();
    }
  });

  it('says in one line why its FIFO cannot be made', async () => {
    const missing = path.join(await tempDir(), 'no-such-folder', 'fifo');
    await expect(Jobserver.create(missing, 2)).rejects.toThrow(JobserverError);
    await expect(Jobserver.create(missing, 2)).rejects.toThrow(/^cannot make the jobserver's FIFO .*no-such-folder\/fifo: No such file or directory$/);
  });

  it('gives its steps the ends of its FIFO as 3 and 4, through the spawner that made it, and leaves no name behind', async () => {
    const dir = await tempDir();
    const fifo = path.join(dir, 'fifo');
    const server = await Jobserver.create(fifo, 2);
    try {
      expect(existsSync(fifo)).toBe(false);
      await server.acquire();
      // What a make does: a token read from 3 for a second job, written back to 4 when it is done.
      const step = await spawnStep({ argv: ['sh', '-c', 'head -c 1 <&3 > token && printf + >&4'], cwd: dir, logFile: path.join(dir, 'x.log'), note: '', folders: [], env: { PATH: process.env.PATH ?? '/usr/bin:/bin' } }, server.childStdio);
      expect(await step.exited).toEqual({ exitCode: 0, signal: undefined });
      expect(readFileSync(path.join(dir, 'token'), 'utf8')).toBe('+');
      await server.acquire();
    } finally {
      server.close();
    }
  });

  it('the counter budget queues waiters in order', async () => {
    const budget = new CounterBudget(1);
    await budget.acquire();
    const order: number[] = [];
    const first = budget.acquire().then(() => order.push(1));
    const second = budget.acquire().then(() => order.push(2));
    budget.release();
    await first;
    budget.release();
    await second;
    expect(order).toEqual([1, 2]);
    expect(() => new CounterBudget(0)).toThrow(RangeError);
  });
});

describe('the work directory lock', () => {
  it('is exclusive while held and taken over from a dead process', async () => {
    const file = path.join(await tempDir(), 'work/.lock');
    const unlock = await acquireLock(file);
    await expect(acquireLock(file)).rejects.toThrow(/another hermit-toolchain run \(pid \d+\)/);
    await unlock();
    writeFileSync(file, '999999999\n');
    const again = await acquireLock(file);
    await again();
  });
});
