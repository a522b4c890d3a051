import { closeSync, openSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { closeSpawner, spawnStep } from '../../src/process/spawner.js';
import { spawnerBinary } from '../../src/process/spawner-binary.js';
import { procStat } from '../../src/process/proc.js';
import { tempDir } from '../support/tmp.js';

const env = { PATH: process.env.PATH ?? '/usr/bin:/bin' };

describe('the step spawner', () => {
  it('runs steps side by side, each in its own process group with its start time told, in its folder, with only its environment and no stdin, its note first in a log it makes, its folders made', async () => {
    const dir = await tempDir();
    const log = path.join(dir, 'logs', 'r', 'x.log');
    const script = 'read line; echo "read $?"; echo "in $(pwd) ONLY=$ONLY HOME=${HOME-unset}"; sleep 0.2';
    const steps = await Promise.all([1, 2].map((n) => spawnStep({ argv: ['sh', '-c', script], cwd: path.join(dir, 'obj'), folders: [path.join(dir, 'image', 'r')], logFile: log, note: `$ step ${n}`, env: { ...env, ONLY: 'x y' } }, [])));
    const started = await Promise.all(steps.map((step) => step.started));
    for (const step of started) {
      const stat = procStat(step!.pid);
      expect(stat?.pgrp).toBe(step!.pid);
      expect(step!.start).toBe(stat?.start);
    }
    const exits = await Promise.all(steps.map((step) => step.exited));
    expect(exits).toEqual([{ exitCode: 0, signal: undefined }, { exitCode: 0, signal: undefined }]);
    const lines = readFileSync(log, 'utf8').trim().split('\n').sort();
    // Each step's line, then the spawner's once it has exited with 0.
    expect(lines.filter((line) => !line.startsWith('=> '))).toEqual(['$ step 1', '$ step 2', ...['in', 'in', 'read 1', 'read 1'].map((start) => (start === 'in' ? `in ${dir}/obj ONLY=x y HOME=unset` : start))]);
    expect(lines.filter((line) => line.startsWith('=> '))).toEqual([expect.stringMatching(/^=> ok after 0\.[2-9]s$/), expect.stringMatching(/^=> ok after 0\.[2-9]s$/)]);
    expect(statSync(path.join(dir, 'image', 'r')).isDirectory()).toBe(true);
  });

  it('says how a step ended: its code, the signal that killed it, 127 with a line in the log for a missing command', async () => {
    const dir = await tempDir();
    const log = path.join(dir, 'x.log');
    const run = async (argv: string[]) => (await spawnStep({ argv, cwd: dir, logFile: log, note: '', folders: [], env }, [])).exited;
    expect(await run(['sh', '-c', 'exit 3'])).toEqual({ exitCode: 3, signal: undefined });
    expect(await run(['sh', '-c', 'kill -TERM $$'])).toEqual({ exitCode: undefined, signal: 'SIGTERM' });
    expect(await run(['no-such-command-here'])).toEqual({ exitCode: 127, signal: undefined });
    expect(await run(['true'])).toEqual({ exitCode: 0, signal: undefined });
    expect(readFileSync(log, 'utf8')).toMatch(/^cannot run no-such-command-here: No such file or directory$/m);
    // The spawner ends the log of the one that succeeded; the others are node's to explain.
    expect(readFileSync(log, 'utf8').match(/^=> .*$/gm)).toEqual([expect.stringMatching(/^=> ok after \d+\.\ds$/)]);
    // Its folders made with their parents, or 127 and why not.
    const deep = path.join(dir, 'a', 'b', 'c');
    expect(await (await spawnStep({ argv: ['true'], cwd: deep, logFile: path.join(dir, 'x', 'y', 'z.log'), note: '', folders: [path.join(dir, 'd', 'e')], env }, [])).exited).toEqual({ exitCode: 0, signal: undefined });
    for (const made of [deep, path.join(dir, 'x', 'y'), path.join(dir, 'd', 'e')]) expect(statSync(made).isDirectory()).toBe(true);
    writeFileSync(path.join(dir, 'file'), '');
    expect(await (await spawnStep({ argv: ['true'], cwd: path.join(dir, 'file', 'sub'), logFile: log, note: '', folders: [], env }, [])).exited).toEqual({ exitCode: 127, signal: undefined });
    expect(readFileSync(log, 'utf8')).toMatch(/^cannot run true: cannot enter .*\/file\/sub: Not a directory$/m);
    expect(await (await spawnStep({ argv: ['true'], cwd: dir, logFile: log, note: '', folders: [path.join(dir, 'file', 'sub')], env }, [])).exited).toEqual({ exitCode: 127, signal: undefined });
    expect(readFileSync(log, 'utf8')).toMatch(/^cannot make the folder .*\/file\/sub: Not a directory$/m);
  });

  it('gives the jobserver descriptors as 3 and 4 only to the steps of the spawner that holds them', async () => {
    const dir = await tempDir();
    const log = path.join(dir, 'x.log');
    const read = openSync('/dev/null', 'r');
    const write = openSync('/dev/null', 'w');
    try {
      const probe = ['sh', '-c', 'for fd in 3 4; do if [ -e /proc/self/fd/$fd ]; then echo "$fd open"; else echo "$fd closed"; fi; done'];
      await (await spawnStep({ argv: probe, cwd: dir, logFile: log, note: '', folders: [], env }, [read, write])).exited;
      await (await spawnStep({ argv: probe, cwd: dir, logFile: log, note: '', folders: [], env }, [])).exited;
      expect(readFileSync(log, 'utf8').replace(/^=> ok after .*\n/gm, '')).toBe('3 open\n4 open\n3 closed\n4 closed\n');
    } finally {
      closeSpawner([read, write]);
      closeSync(read);
      closeSync(write);
    }
  });

  it('says so when the spawner dies with a step in its care, and starts another for the next step', async () => {
    const dir = await tempDir();
    const log = path.join(dir, 'x.log');
    const step = await spawnStep({ argv: ['sleep', '5'], cwd: dir, logFile: log, note: '', folders: [], env }, []);
    const pid = (await step.started)?.pid;
    const spawner = Number(readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')[1]);
    expect(readFileSync(`/proc/${spawner}/cmdline`, 'utf8')).toBe(`${await spawnerBinary()}\0`);
    process.kill(spawner, 'SIGKILL');
    await expect(step.exited).rejects.toThrow(/the step spawner exited with steps in its care/);
    process.kill(-pid!, 'SIGKILL');
    expect(await (await spawnStep({ argv: ['true'], cwd: dir, logFile: log, note: '', folders: [], env }, [])).exited).toEqual({ exitCode: 0, signal: undefined });
  });
});
