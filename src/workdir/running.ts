import { mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { endGroups, KILL_GRACE_MS, type RecordedGroup } from '../process/groups.js';
import { acquireLock, type Unlock } from '../process/lock.js';
import { procStat } from '../process/proc.js';
import type { GroupWatcher } from '../process/run.js';
import type { WorkLayout } from './layout.js';

/**
 * The process groups of the steps running in a work directory, one small file each
 * (`<work>/running/<pgid>`), there from the step's start until it exits.
 *
 * A run that is SIGKILLed (the OOM killer, a `kill -9`) has no say: its steps, each in a process
 * group of its own, go on without it. Only the next run can end them, and it must, before it
 * starts the same steps beside them in the same folders. The records are how it finds them.
 */
export interface StepRecord extends RecordedGroup {
  /** The pid of the run that started the step. */
  readonly run: number;
  /** The task the step belongs to (`recipe:kind`). */
  readonly task: string;
}

/** A record's text, or undefined for one that is not a record (cut short, or not ours). */
export function parseStepRecord(pgid: number, text: string): StepRecord | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const { start, run, task } = value as Record<string, unknown>;
  if (typeof start !== 'string' || !/^\d+$/.test(start) || typeof task !== 'string') return undefined;
  if (typeof run !== 'number' || !Number.isInteger(run)) return undefined;
  return { pgid, start, run, task };
}

/** What a run says about the steps it ended: one line per killed run. */
export function endedLines(ended: readonly StepRecord[]): string[] {
  const byRun = new Map<number, string[]>();
  for (const step of ended) byRun.set(step.run, [...(byRun.get(step.run) ?? []), step.task]);
  return [...byRun].map(([run, tasks]) => {
    const count = tasks.length === 1 ? '1 step' : `${tasks.length} steps`;
    return `ended ${count} left running by a killed run (pid ${run}): ${[...tasks].sort().join(', ')}`;
  });
}

function readText(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

/**
 * Keeps the record of a task's steps while they run. Records are written aside and renamed into
 * place, so none is ever read half-written. Failing to write one (a full disk) does not stop the
 * step: the record only matters if this run is killed.
 */
export function stepRecorder(layout: WorkLayout, task: string): GroupWatcher {
  return {
    started: (pgid) => {
      // Gone already: it was too short to outlive anything.
      const start = procStat(pgid)?.start;
      if (start === undefined) return;
      const file = layout.runningStep(pgid);
      try {
        mkdirSync(layout.runningSteps, { recursive: true });
        writeFileSync(`${file}.new`, `${JSON.stringify({ start, run: process.pid, task })}\n`);
        renameSync(`${file}.new`, file);
      } catch {
        rmSync(`${file}.new`, { force: true });
      }
    },
    ended: (pgid) => rmSync(layout.runningStep(pgid), { force: true }),
  };
}

/**
 * Ends the steps a killed run left running (see StepRecord) and removes every record; returns
 * what to tell the user. Called holding the work-directory lock: no live run has records then.
 * Synchronous reads on purpose: a build with nothing to do pays only for one missing folder.
 */
export async function endLeftOverSteps(layout: WorkLayout, graceMs = KILL_GRACE_MS): Promise<string[]> {
  let names: string[];
  try {
    names = readdirSync(layout.runningSteps);
  } catch {
    return [];
  }
  const records: StepRecord[] = [];
  for (const name of names) {
    // Anything else there is a record being written when its run was killed.
    if (!/^\d+$/.test(name)) continue;
    const pgid = Number(name);
    const record = parseStepRecord(pgid, readText(layout.runningStep(pgid)));
    if (record) records.push(record);
  }
  const ended = await endGroups(records, graceMs);
  rmSync(layout.runningSteps, { recursive: true, force: true });
  return endedLines(ended);
}

/**
 * Takes the work-directory lock, then ends what a killed run left running (saying so through
 * `say`) before anything else touches the work directory.
 */
export async function lockWorkDir(layout: WorkLayout, say: (line: string) => void, graceMs = KILL_GRACE_MS): Promise<Unlock> {
  const unlock = await acquireLock(layout.lock);
  try {
    for (const line of await endLeftOverSteps(layout, graceMs)) say(line);
  } catch (error) {
    await unlock();
    throw error;
  }
  return unlock;
}
