import { closeSync, mkdirSync, openSync, readFileSync, readdirSync, rmSync, writeSync } from 'node:fs';
import { endGroups, KILL_GRACE_MS, type RecordedGroup } from '../process/groups.js';
import { acquireLock, type Unlock } from '../process/lock.js';
import { procStat } from '../process/proc.js';
import type { GroupWatcher } from '../process/run.js';
import type { WorkLayout } from './layout.js';

/**
 * The process groups of the steps running in a work directory, recorded from each step's start
 * until it exits in a journal per run (`<work>/running/<run pid>`, see StepJournal).
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

/**
 * The steps a run's journal leaves running: those started and not ended. Only whole lines count
 * (one cut short by a full disk says nothing for sure).
 */
export function parseJournal(run: number, text: string): StepRecord[] {
  const open = new Map<number, StepRecord>();
  for (const line of text.split('\n').slice(0, -1)) {
    const started = /^start (\d+) (\d+) (\S+)$/.exec(line);
    if (started) {
      const pgid = Number(started[1]);
      open.set(pgid, { pgid, start: started[2]!, run, task: started[3]! });
      continue;
    }
    const ended = /^end (\d+)$/.exec(line);
    if (ended) open.delete(Number(ended[1]));
  }
  return [...open.values()];
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
 * The journal of the steps one run has running, `<work>/running/<its pid>`: a line when a step's
 * process group starts, one when it has exited. One open file appended to, because a file per
 * step cost more than the step itself for short ones. Failing to write it (a full disk) does not
 * stop the step: the journal only matters if this run is killed.
 */
export class StepJournal {
  private fd: number | undefined;
  private readonly open = new Set<number>();
  /**
   * `end` lines not written yet. They go out once the engine has started what the step's end
   * let it start: a record of a step that has ended costs the next run nothing (it finds no
   * process with that pid and start time), so nothing is lost if this run is killed first.
   */
  private ends = '';
  private endsSoon = false;

  constructor(private readonly layout: WorkLayout) {}

  /** What a task's steps tell as they start and end. */
  recorder(task: string): GroupWatcher {
    return {
      started: (pgid, told) => {
        // Read here when the spawner could not tell it; gone already, the step was too short to
        // outlive anything.
        const start = told ?? procStat(pgid)?.start;
        if (start === undefined) return;
        this.open.add(pgid);
        this.append(`start ${pgid} ${start} ${task}\n`);
      },
      ended: (pgid) => {
        if (!this.open.delete(pgid)) return;
        this.ends += `end ${pgid}\n`;
        if (this.endsSoon) return;
        this.endsSoon = true;
        setImmediate(() => this.writeEnds());
      },
    };
  }

  /** Removes the journal once the run is over; one with steps still open is left for the next run. */
  close(): void {
    this.writeEnds();
    if (this.fd === undefined) return;
    closeSync(this.fd);
    this.fd = undefined;
    if (this.open.size === 0) rmSync(this.layout.runningJournal(process.pid), { force: true });
  }

  private writeEnds(): void {
    this.endsSoon = false;
    if (this.ends === '') return;
    const lines = this.ends;
    this.ends = '';
    this.append(lines);
  }

  private append(line: string): void {
    try {
      if (this.fd === undefined) {
        mkdirSync(this.layout.runningSteps, { recursive: true });
        this.fd = openSync(this.layout.runningJournal(process.pid), 'a');
      }
      writeSync(this.fd, line);
    } catch {
      // See above: the step goes on without its record.
    }
  }
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
    if (!/^\d+$/.test(name)) continue;
    const run = Number(name);
    records.push(...parseJournal(run, readText(layout.runningJournal(run))));
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
