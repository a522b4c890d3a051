import { groupMembers, procStat } from './proc.js';

/** How long a process group gets between SIGTERM and SIGKILL when it is ended. */
export const KILL_GRACE_MS = 5000;

/** How long a group gets to be gone after SIGKILL, which cannot be caught, before we stop waiting. */
const AFTER_KILL_MS = 1000;

/** A process group as recorded when it started: its id (its leader's pid) and the leader's start time. */
export interface RecordedGroup {
  readonly pgid: number;
  readonly start: string;
}

/**
 * Whether a number can be the id of a group we started. kill(2) reads -0 as the caller's own
 * group and -1 as every process it may signal, and /proc shows kernel threads in group 0: none of
 * those is ever signalled or waited for.
 */
function isStepGroup(pgid: number): boolean {
  return Number.isInteger(pgid) && pgid > 1;
}

export function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  if (!isStepGroup(pgid)) return;
  try {
    process.kill(-pgid, signal);
  } catch {
    // Already gone.
  }
}

/**
 * Whether the recorded group still runs. While the leader runs, its start time tells the group
 * from a later one whose leader got the same pid. Once the leader is gone its pid cannot be
 * given to a new process while any process is still in the group (Linux keeps an id in use as
 * long as something uses it as a process group), so members of that group are the group's.
 */
export function groupRuns(group: RecordedGroup): boolean {
  if (!isStepGroup(group.pgid)) return false;
  const leader = procStat(group.pgid);
  if (leader !== undefined && leader.start !== group.start) return false;
  return groupMembers(group.pgid).length > 0;
}

async function waitUntilGone<G extends RecordedGroup>(groups: readonly G[], ms: number): Promise<G[]> {
  const deadline = Date.now() + ms;
  let left = groups.filter(groupRuns);
  while (left.length > 0 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 25));
    left = left.filter(groupRuns);
  }
  return left;
}

/**
 * Ends process groups: SIGTERM, up to `graceMs` for them to go, then SIGKILL for what is left.
 * Returns the groups that were still running (the others are left alone), once they are gone
 * or after a short wait past SIGKILL.
 */
export async function endGroups<G extends RecordedGroup>(groups: readonly G[], graceMs = KILL_GRACE_MS): Promise<G[]> {
  const running = groups.filter(groupRuns);
  for (const group of running) signalGroup(group.pgid, 'SIGTERM');
  const stubborn = await waitUntilGone(running, graceMs);
  // Checked again just before: a group that went meanwhile may have given its id to another.
  for (const group of stubborn.filter(groupRuns)) signalGroup(group.pgid, 'SIGKILL');
  await waitUntilGone(stubborn, AFTER_KILL_MS);
  return running;
}
