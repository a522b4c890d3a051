import { spawn } from 'node:child_process';
import { onTestFinished } from 'vitest';
import { groupMembers, procStat } from '../../src/process/proc.js';

/**
 * A shell leading a process group of its own, with a child, as a step runs (and as a killed run
 * leaves it); the group is ended after the test whatever happens.
 */
export async function startGroup(script: string): Promise<{ pgid: number; start: string }> {
  const child = spawn('sh', ['-c', script], { stdio: 'ignore', detached: true });
  const pgid = child.pid!;
  onTestFinished(() => {
    try {
      process.kill(-pgid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  });
  const deadline = Date.now() + 5000;
  while (groupMembers(pgid).length < 2 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
  return { pgid, start: procStat(pgid)!.start };
}
