import { criticalPath, jobSlots, type Plan } from './plan.js';

/** What a build knows before it starts about how long its tasks take. */
export interface BuildOutlook {
  /** How long each task (by id) took the last time it ran in this work directory. */
  readonly previousMs: ReadonlyMap<string, number>;
  /** Tasks whose stored key equals their key: unless their outputs are gone, they are skipped. */
  readonly likelyUpToDate: ReadonlySet<string>;
  /** The job budget. */
  readonly jobs: number;
}

/** Where a build stands at one moment. */
export interface BuildProgress {
  /** Tasks that ended, whatever their status. */
  readonly finished: ReadonlySet<string>;
  /** Running tasks and when each started (ms since the epoch, like `now`). */
  readonly running: ReadonlyMap<string, number>;
  readonly now: number;
}

export interface Estimate {
  /** How long the rest of the build takes if every task takes as long as it did last time. */
  readonly remainingMs: number;
  /** Tasks expected to run that never ran here before: counted as taking no time. */
  readonly untimed: number;
}

/**
 * The tasks that will run: those not up to date, and every later task of their recipe, since
 * the engine forgets what a task's run replaces (a fresh tree, build folder or image).
 */
export function expectedToRun(plan: Plan, likelyUpToDate: ReadonlySet<string>): Set<string> {
  const runs = new Set<string>();
  for (const task of plan.tasks.values()) {
    const earlierRuns = task.deps.some((dep) => runs.has(dep) && plan.tasks.get(dep)?.recipe === task.recipe);
    if (!likelyUpToDate.has(task.id) || earlierRuns) runs.add(task.id);
  }
  return runs;
}

/**
 * Replays the rest of the build as the scheduler would run it (ready tasks by critical path,
 * one job slot each, none for downloads or for tasks that will be skipped) with the last
 * build's times. Those times were measured under the same budget and the same competition for
 * it, so replaying them reproduces the last build's wall time rather than a bound on it.
 */
export function estimateRemaining(plan: Plan, outlook: BuildOutlook, progress: BuildProgress): Estimate {
  const runs = expectedToRun(plan, outlook.likelyUpToDate);
  const priority = criticalPath(plan);
  let untimed = 0;
  const timeOf = (id: string): number | undefined => {
    if (!runs.has(id)) return 0;
    const ms = outlook.previousMs.get(id);
    if (ms === undefined) untimed += 1;
    return ms;
  };
  const slotsOf = (id: string): number => (runs.has(id) ? jobSlots(plan.tasks.get(id)!.kind) : 0);
  const slots = Math.max(1, outlook.jobs);

  const done = new Set(progress.finished);
  const active: { id: string; endsAt: number }[] = [];
  let busy = 0;
  for (const [id, started] of progress.running) {
    // A task already slower than last time is taken as about to end: there is nothing better to go by.
    active.push({ id, endsAt: Math.max(0, (timeOf(id) ?? 0) - (progress.now - started)) });
    busy += slotsOf(id);
  }
  const pending = [...plan.tasks.values()].filter((task) => !done.has(task.id) && !progress.running.has(task.id)).map((task) => task.id);
  const durations = new Map(pending.map((id) => [id, timeOf(id) ?? 0]));

  let clock = 0;
  for (;;) {
    const ready = pending
      .filter((id) => plan.tasks.get(id)!.deps.every((dep) => done.has(dep) || !plan.tasks.has(dep)))
      .sort((a, b) => (priority.get(b) ?? 0) - (priority.get(a) ?? 0));
    for (const id of ready) {
      const needs = slotsOf(id);
      if (needs > 0 && busy + needs > slots) continue;
      busy += needs;
      active.push({ id, endsAt: clock + durations.get(id)! });
      pending.splice(pending.indexOf(id), 1);
    }
    if (active.length === 0) break;
    clock = Math.min(...active.map((entry) => entry.endsAt));
    for (let i = active.length - 1; i >= 0; i -= 1) {
      const entry = active[i]!;
      if (entry.endsAt > clock) continue;
      done.add(entry.id);
      busy -= slotsOf(entry.id);
      active.splice(i, 1);
    }
  }
  return { remainingMs: clock, untimed };
}
