import { spawn } from 'node:child_process';
import { describe, expect, it, onTestFinished } from 'vitest';
import { endGroups, groupRuns } from '../../src/process/groups.js';
import { groupMembers, procStat } from '../../src/process/proc.js';
import { killQuietly } from '../support/pids.js';
import { startGroup } from '../support/process-group.js';

describe('ending process groups', () => {
  it('ends a group with SIGTERM, and returns it', async () => {
    const running = await startGroup('sleep 60 & wait');
    expect(groupRuns(running)).toBe(true);
    const started = Date.now();
    expect(await endGroups([running], 5000)).toEqual([running]);
    expect(groupMembers(running.pgid)).toEqual([]);
    expect(Date.now() - started).toBeLessThan(4000);
  });

  it('ends a group that ignores SIGTERM with SIGKILL once the grace time is over', async () => {
    const stubborn = await startGroup("trap '' TERM; sleep 60 & wait");
    const started = Date.now();
    expect(await endGroups([stubborn], 300)).toEqual([stubborn]);
    expect(groupMembers(stubborn.pgid)).toEqual([]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(300);
  });

  it('leaves alone a group whose leader started at another time (its pid was given to another process), and one that is gone', async () => {
    const other = await startGroup('sleep 60 & wait');
    const reused = { pgid: other.pgid, start: String(BigInt(other.start) + 1n) };
    expect(groupRuns(reused)).toBe(false);
    expect(await endGroups([reused, { pgid: 999_999_999, start: '1' }], 100)).toEqual([]);
    expect(groupRuns(other)).toBe(true);
  });

  it('never takes 0 or 1 for a group of ours: kill(2) reads them as our own group and as everything', () => {
    // Kernel threads show group 0 in /proc: a record saying 0 would seem to run.
    expect(groupMembers(0).length).toBeGreaterThan(0);
    for (const pgid of [0, 1, -5, Number.NaN]) expect(groupRuns({ pgid, start: procStat(1)!.start })).toBe(false);
  });

  it('ends the rest of a group whose leader is gone', async () => {
    // The leader starts a child in its group and exits: the group lives on without it.
    const child = spawn('sh', ['-c', 'sleep 60 & echo $!'], { stdio: ['ignore', 'pipe', 'ignore'], detached: true });
    const pgid = child.pid!;
    const start = procStat(pgid)!.start;
    const sleeper = Number(await new Promise<string>((resolve) => child.stdout.once('data', (data: Buffer) => resolve(data.toString()))));
    onTestFinished(() => killQuietly(sleeper));
    // The leader may have exited (and said so) before we listen: waiting for an exit already
    // seen would wait forever.
    if (child.exitCode === null && child.signalCode === null) await new Promise((resolve) => child.once('exit', resolve));
    expect(groupMembers(pgid)).toEqual([sleeper]);
    expect(await endGroups([{ pgid, start }], 1000)).toEqual([{ pgid, start }]);
    expect(groupMembers(pgid)).toEqual([]);
  });
});
