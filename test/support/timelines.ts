import { TASK_KINDS, jobSlots, type TaskKind } from '../../src/plan/plan.js';
import type { BuildTimeline, TimelineTask } from '../../src/plan/timeline.js';

/** A task of a made-up run: `recipe:kind`, ran, its times given in seconds for readability. */
export function timed(id: string, deps: readonly string[], seconds: { ready?: number; asked?: number; start: number; end: number }, fields: Partial<TimelineTask> = {}): TimelineTask {
  const [recipe, kind] = id.split(':') as [string, TaskKind];
  return {
    id,
    recipe,
    kind,
    deps,
    weight: jobSlots(kind),
    status: 'ran',
    readyMs: (seconds.ready ?? seconds.start) * 1000,
    askedMs: (seconds.asked ?? seconds.ready ?? seconds.start) * 1000,
    startMs: seconds.start * 1000,
    endMs: seconds.end * 1000,
    ...fields,
  };
}

export function timelineOf(tasks: readonly TimelineTask[], fields: Partial<BuildTimeline> = {}): BuildTimeline {
  return {
    startedAt: '2024-05-01T10:00:00.000Z',
    endMs: Math.max(0, ...tasks.map((task) => task.endMs ?? 0)),
    scheduleMs: 0,
    jobs: 2,
    outcome: 'succeeded',
    recipes: [...new Set(tasks.map((task) => task.recipe))],
    tasks,
    ...fields,
  };
}

/**
 * A run the size of the real chain: `recipes` recipes of all eight kinds, each needing the one
 * before, over about an hour with 4 jobs, so that later recipes wait for slots.
 */
export function hourLongTimeline(recipes = 10): BuildTimeline {
  const seconds: Record<TaskKind, number> = { fetch: 40, unpack: 15, patch: 3, configure: 60, build: 240, install: 25, osabi: 4, package: 30 };
  const tasks: TimelineTask[] = [];
  let needReady = 0;
  for (let r = 0; r < recipes; r += 1) {
    const name = `recipe-${r}`;
    let clock = 0;
    let previous: string | undefined;
    for (const kind of TASK_KINDS) {
      const id = `${name}:${kind}`;
      const deps = [previous, kind === 'configure' && r > 0 ? `recipe-${r - 1}:osabi` : undefined].filter((dep): dep is string => dep !== undefined);
      const ready = kind === 'configure' ? Math.max(clock, needReady) : clock;
      const start = ready + (kind === 'build' ? 20 + r * 3 : kind === 'fetch' ? r * 4 : 0);
      tasks.push(timed(id, deps, { ready, start, end: start + seconds[kind] }));
      clock = start + seconds[kind];
      if (kind === 'osabi') needReady = clock;
      previous = id;
    }
  }
  return timelineOf(tasks, { jobs: 4 });
}
