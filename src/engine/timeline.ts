import { jobSlots, type PlannedTask } from '../plan/plan.js';
import type { BuildTimeline, TimelineStatus, TimelineTask } from '../plan/timeline.js';
import type { Restore } from './cache.js';
import type { ScheduleEvent } from './schedule.js';

interface Times {
  readyMs?: number;
  askedMs?: number;
  startMs?: number;
  endMs?: number;
  status?: TimelineStatus;
}

export interface TimelineEnd {
  /** The run's tasks, dependencies first: scheduled, restored and left out. */
  readonly tasks: readonly PlannedTask[];
  readonly recipes: readonly string[];
  readonly leftOut: ReadonlySet<string>;
  readonly jobs: number;
  readonly outcome: BuildTimeline['outcome'];
}

/**
 * Takes the time of each task's events as the schedule sends them (they are sent as they
 * happen), relative to the run's start. The clock is a parameter so tests can drive it.
 */
export class TimelineRecorder {
  private readonly times = new Map<string, Times>();
  private scheduleMs = 0;

  constructor(
    private readonly origin: number,
    private readonly now: () => number = Date.now,
  ) {}

  private since(at: number): number {
    return Math.max(0, at - this.origin);
  }

  private of(id: string): Times {
    let times = this.times.get(id);
    if (!times) this.times.set(id, (times = {}));
    return times;
  }

  restored(id: string, restore: Restore): void {
    Object.assign(this.of(id), { startMs: this.since(restore.at), endMs: this.since(restore.at + restore.ms), status: 'restored' });
  }

  scheduleStarted(): void {
    this.scheduleMs = this.since(this.now());
  }

  record(event: ScheduleEvent<PlannedTask>): void {
    const times = this.of(event.task.id);
    const at = this.since(this.now());
    switch (event.type) {
      case 'ready':
        times.readyMs = at;
        return;
      case 'waiting':
        times.askedMs = at;
        return;
      case 'started':
        times.startMs = at;
        return;
      case 'finished':
        // A task that never started (skipped, or failed in its up-to-date check or for want of
        // a budget) shows its check, which began when the scheduler took it from the queue.
        times.startMs ??= Math.max(times.readyMs ?? 0, at - event.ms);
        times.endMs = at;
        times.status = event.status === 'success' ? 'ran' : event.status;
        return;
    }
  }

  /** Whether the run did anything worth a picture: a no-op build keeps the last one. */
  get didAnything(): boolean {
    return [...this.times.values()].some((times) => times.status === 'ran' || times.status === 'failed' || times.status === 'restored');
  }

  result(end: TimelineEnd): BuildTimeline {
    const endMs = this.since(this.now());
    const tasks = end.tasks.map((task): TimelineTask => {
      const times = this.times.get(task.id) ?? {};
      const status: TimelineStatus = times.status ?? (end.leftOut.has(task.id) ? 'left-out' : 'not-started');
      const timed = status !== 'left-out' && status !== 'not-started';
      return {
        id: task.id,
        recipe: task.recipe,
        kind: task.kind,
        deps: task.deps,
        weight: jobSlots(task.kind),
        status,
        ...(times.readyMs === undefined ? {} : { readyMs: times.readyMs }),
        ...(times.askedMs === undefined || status === 'skipped' ? {} : { askedMs: times.askedMs }),
        ...(timed && times.startMs !== undefined ? { startMs: times.startMs } : {}),
        ...(timed && times.endMs !== undefined ? { endMs: times.endMs } : {}),
      };
    });
    return { startedAt: new Date(this.origin).toISOString(), endMs, scheduleMs: this.scheduleMs, jobs: end.jobs, outcome: end.outcome, recipes: end.recipes, tasks };
  }
}
