import { spawn } from 'node:child_process';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { describe, expect, it, onTestFinished } from 'vitest';
import { parseLock, tryLock, type Unlock } from '../../src/process/lock.js';
import { procStat } from '../../src/process/proc.js';
import { tempDir } from '../support/tmp.js';

const won = (result: Unlock | { holder: number }): result is Unlock => typeof result === 'function';

/** A process that runs until the test ends, to stand for a live holder. */
function liveProcess(): number {
  const child = spawn('sleep', ['60'], { stdio: 'ignore' });
  onTestFinished(() => void child.kill('SIGKILL'));
  return child.pid!;
}

describe('lock files', () => {
  it('takes a free lock: the file names us whole, nothing else is left beside it, and unlocking removes it', async () => {
    const dir = await tempDir();
    const file = path.join(dir, 'sub/.lock');
    const unlock = await tryLock(file);
    expect(won(unlock)).toBe(true);
    expect(parseLock(readFileSync(file, 'utf8'))).toEqual({ pid: process.pid, start: procStat(process.pid)!.start });
    expect(readdirSync(path.dirname(file))).toEqual(['.lock']);
    if (won(unlock)) await unlock();
    expect(readdirSync(path.dirname(file))).toEqual([]);
  });

  it('is refused while a live process holds it, in this format or the bare pid older versions wrote', async () => {
    const dir = await tempDir();
    const file = path.join(dir, '.lock');
    const pid = liveProcess();
    for (const text of [`${pid} ${procStat(pid)!.start} 0123abcd\n`, `${pid}\n`]) {
      writeFileSync(file, text);
      expect(await tryLock(file)).toEqual({ holder: pid });
    }
  });

  it('takes over an empty lock (its writer was killed before writing), garbage, a dead holder and a reused pid', async () => {
    const dir = await tempDir();
    const file = path.join(dir, '.lock');
    const start = procStat(process.pid)!.start;
    const stale = ['', '\n', 'not a pid\n', '12x\n', '999999999\n', `${liveProcess()} ${BigInt(start) + 1n} 0123abcd\n`];
    for (const text of stale) {
      writeFileSync(file, text);
      const result = await tryLock(file);
      expect(won(result), JSON.stringify(text)).toBe(true);
      expect(parseLock(readFileSync(file, 'utf8'))?.pid).toBe(process.pid);
      if (won(result)) await result();
    }
  });

  it('is never seen empty or half-written, by another thread reading it while it is taken again and again', async () => {
    const dir = await tempDir();
    const file = path.join(dir, '.lock');
    // [0]: set to stop the reader; [1]: reads that found the lock but no holder in it.
    const shared = new Int32Array(new SharedArrayBuffer(8));
    const reader = new Worker(
      `const { readFileSync } = require('node:fs');
      const { workerData: { file, shared } } = require('node:worker_threads');
      while (Atomics.load(shared, 0) === 0) {
        let text;
        try { text = readFileSync(file, 'utf8'); } catch { continue; }
        if (!/^\\d+\\s/.test(text)) Atomics.add(shared, 1, 1);
      }`,
      { eval: true, workerData: { file, shared } },
    );
    try {
      for (let round = 0; round < 300; round++) {
        const unlock = await tryLock(file);
        if (won(unlock)) await unlock();
      }
    } finally {
      Atomics.store(shared, 0, 1);
      await new Promise((resolve) => reader.once('exit', resolve));
    }
    expect(Atomics.load(shared, 1)).toBe(0);
  });

  it('lets exactly one of many takers of the same stale lock have it', async () => {
    const dir = await tempDir();
    const file = path.join(dir, '.lock');
    for (let round = 0; round < 30; round++) {
      writeFileSync(file, '999999999\n');
      const results = await Promise.all(Array.from({ length: 8 }, () => tryLock(file)));
      const winners = results.filter(won);
      expect(winners, `round ${round}`).toHaveLength(1);
      await winners[0]!();
      expect(readdirSync(dir)).toEqual([]);
    }
  });

  it('reads who holds a lock from its text', () => {
    expect(parseLock('42 1234 cafe\n')).toEqual({ pid: 42, start: '1234' });
    expect(parseLock('42 - cafe\n')).toEqual({ pid: 42, start: undefined });
    expect(parseLock('42\n')).toEqual({ pid: 42, start: undefined });
    for (const text of ['', '0\n', '-3\n', '42 x1 cafe\n', 'pid 42\n']) expect(parseLock(text)).toBeUndefined();
  });
});
