import { spawn } from 'node:child_process';
import { describe, expect, it, onTestFinished } from 'vitest';
import { groupMembers, parseProcStat, procStat } from '../../src/process/proc.js';

describe('/proc', () => {
  it('reads state, process group and start time, counting fields from the last parenthesis of the name', () => {
    const tail = '20 0 1 0 45897 3133440 393 18446744073709551615 0 0';
    expect(parseProcStat(`8038 (cat) R 8031 8031 3740 0 -1 4194304 101 0 0 0 0 0 0 0 ${tail}`)).toEqual({ state: 'R', pgrp: 8031, start: '45897' });
    expect(parseProcStat(`8038 (a) b (c) S 1 77 3740 0 -1 4194304 101 0 0 0 0 0 0 0 ${tail}`)).toEqual({ state: 'S', pgrp: 77, start: '45897' });
    expect(parseProcStat('8038 (cat) R 8031')).toBeUndefined();
    expect(parseProcStat('garbage')).toBeUndefined();
  });

  it('lists the members of a process group that have not exited', async () => {
    expect(procStat(process.pid)?.state).toMatch(/^[RS]$/);
    const child = spawn('sh', ['-c', 'sleep 60 & sleep 60 & wait'], { stdio: 'ignore', detached: true });
    onTestFinished(() => {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // Already gone.
      }
    });
    const deadline = Date.now() + 5000;
    while (groupMembers(child.pid!).length < 3 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(groupMembers(child.pid!)).toHaveLength(3);
    expect(groupMembers(child.pid!)).toContain(child.pid);
  });
});
