import type { TaskKind } from './plan.js';

/**
 * What became of a task in one build run. `left-out`: a satisfied recipe did not need it (see
 * leave-out.ts); `not-started`: a failure or an interruption stopped the run first.
 */
export const TIMELINE_STATUSES = ['ran', 'failed', 'skipped', 'restored', 'left-out', 'not-started'] as const;
export type TimelineStatus = (typeof TIMELINE_STATUSES)[number];

/**
 * One task of a run, its times in milliseconds since the run started. A task left out or not
 * started has none of them, a skipped or restored one no `askedMs`.
 */
export interface TimelineTask {
  readonly id: string;
  readonly recipe: string;
  readonly kind: TaskKind;
  /** The tasks it waits for (in a fetch-only run, only the fetches are in the run at all). */
  readonly deps: readonly string[];
  /** Slots it takes from the job budget (0: a download, which waits on the network). */
  readonly weight: 0 | 1;
  readonly status: TimelineStatus;
  /** Its dependencies were done: it joined the queue of ready tasks. */
  readonly readyMs?: number | undefined;
  /** Its up-to-date check said it must run: it asked the budget for a slot. */
  readonly askedMs?: number | undefined;
  /** It held its slot and began (a skipped task: its check began; a restored one: its restore). */
  readonly startMs?: number | undefined;
  readonly endMs?: number | undefined;
}

/** Everything `<work>/logs/timeline.json` holds about one build run. */
export interface BuildTimeline {
  /** When the run started (ISO 8601), the origin of every time in it. */
  readonly startedAt: string;
  /** How long the whole run took. */
  readonly endMs: number;
  /** When the schedule began: before it, the artifact cache settled (lookups and restores). */
  readonly scheduleMs: number;
  readonly jobs: number;
  readonly outcome: 'succeeded' | 'failed' | 'cancelled';
  /** Recipe names in build order: one row each. */
  readonly recipes: readonly string[];
  /** Every task of the run, dependencies first. */
  readonly tasks: readonly TimelineTask[];
}

/** A task with a bar: it did something in this run, from its start to its end. */
export type TimedTask = TimelineTask & { readonly startMs: number; readonly endMs: number };

export const isTimed = (task: TimelineTask): task is TimedTask => task.startMs !== undefined && task.endMs !== undefined;

/** The time between a task being ready and starting (it waited in the queue and for a slot). */
export function waitMs(task: TimelineTask): number {
  if (task.readyMs === undefined || task.startMs === undefined || task.status === 'skipped') return 0;
  return Math.max(0, task.startMs - task.readyMs);
}

/** A step of the critical path, and why the task before it on the path held it up. */
export interface CriticalLink {
  readonly task: TimedTask;
  /**
   * How the previous task of the path held this one up: `dep`, it was the dependency that
   * finished last; `slot`, this task was ready but waited for a job slot, and the previous task
   * gave back the last slot freed before it started. The first task of the path has `start`.
   */
  readonly via: 'start' | 'dep' | 'slot';
}

/**
 * The chain of tasks that decided when this run ended (not the static estimate of plan.ts's
 * `criticalPath`, which orders the queue before anything ran).
 *
 * It ends at the task that finished last. From a task, it goes back to whichever came later of
 * the two things its start waited for: its last dependency to finish (which made it ready), and,
 * when it started after it was ready, a job slot: the last task holding a slot that ended
 * after it was ready and before it started (it gave back the slot this one got). When no slot was given back in that
 * time, the delay was the scheduler's own work and the dependency is taken. The chain stops at a
 * task that waited for neither. Slots freed inside a running task (a make's own jobs giving
 * tokens back to the jobserver) are not seen: a wait they ended is put on the dependency.
 */
export function runCriticalPath(timeline: Pick<BuildTimeline, 'tasks'>): CriticalLink[] {
  const timed = timeline.tasks.filter(isTimed);
  const byId = new Map(timed.map((task) => [task.id, task]));
  const latest = (tasks: readonly TimedTask[]): TimedTask | undefined => tasks.reduce<TimedTask | undefined>((best, task) => (best === undefined || task.endMs >= best.endMs ? task : best), undefined);
  const heldSlot = (task: TimedTask): boolean => task.weight > 0 && task.askedMs !== undefined && (task.status === 'ran' || task.status === 'failed');

  let current = latest(timed);
  const path: Array<{ task: TimedTask; via: CriticalLink['via'] }> = [];
  const seen = new Set<string>();
  while (current && !seen.has(current.id)) {
    seen.add(current.id);
    const task = current;
    const dep = latest(task.deps.map((id) => byId.get(id)).filter((found): found is TimedTask => found !== undefined && found.endMs <= task.startMs));
    const readyAt = task.readyMs ?? dep?.endMs ?? task.startMs;
    const freer =
      task.startMs > readyAt
        ? latest(timed.filter((other) => other !== task && heldSlot(other) && other.endMs > readyAt && other.endMs <= task.startMs))
        : undefined;
    const previous = freer ?? dep;
    path.push({ task, via: previous === undefined ? 'start' : freer ? 'slot' : 'dep' });
    current = previous;
  }
  path.reverse();
  // A walk cut short by equal times (a task of 0 ms) still starts somewhere.
  return path.map((step, index) => (index === 0 ? { task: step.task, via: 'start' } : step));
}
