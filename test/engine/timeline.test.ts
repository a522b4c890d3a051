import { describe, expect, it } from 'vitest';
import { TimelineRecorder } from '../../src/engine/timeline.js';
import type { PlannedTask } from '../../src/plan/plan.js';

const task = (id: string, deps: string[] = []): PlannedTask => {
  const [recipe, kind] = id.split(':') as [string, PlannedTask['kind']];
  return { id, recipe, kind, deps };
};

describe('the timeline recorder', () => {
  it('takes each event at the time it comes, relative to the start of the run', () => {
    let now = 1_000_000;
    const recorder = new TimelineRecorder(now, () => now);
    const [fetch, build, install, pkg, left] = [task('a:fetch'), task('a:build', ['a:fetch']), task('a:install', ['a:build']), task('a:package', ['a:install']), task('b:fetch')];
    now += 5;
    recorder.scheduleStarted();
    recorder.record({ type: 'ready', task: fetch });
    now += 2;
    recorder.record({ type: 'waiting', task: fetch });
    recorder.record({ type: 'started', task: fetch });
    now += 100;
    recorder.record({ type: 'finished', task: fetch, status: 'success', ms: 100 });
    recorder.record({ type: 'ready', task: build });
    // Its up-to-date check took 3 ms.
    now += 3;
    recorder.record({ type: 'finished', task: build, status: 'skipped', ms: 3 });
    recorder.record({ type: 'ready', task: install });
    now += 1;
    recorder.record({ type: 'waiting', task: install });
    now += 40;
    recorder.record({ type: 'started', task: install });
    now += 10;
    recorder.record({ type: 'finished', task: install, status: 'failed', ms: 10 });
    expect(recorder.didAnything).toBe(true);
    now += 1;
    const timeline = recorder.result({ tasks: [fetch, build, install, pkg, left], recipes: ['a', 'b'], leftOut: new Set(['b:fetch']), jobs: 3, outcome: 'failed' });
    expect(timeline).toEqual({
      startedAt: new Date(1_000_000).toISOString(),
      endMs: 162,
      scheduleMs: 5,
      jobs: 3,
      outcome: 'failed',
      recipes: ['a', 'b'],
      tasks: [
        { ...fetch, weight: 0, status: 'ran', readyMs: 5, askedMs: 7, startMs: 7, endMs: 107 },
        { ...build, weight: 1, status: 'skipped', readyMs: 107, startMs: 107, endMs: 110 },
        { ...install, weight: 1, status: 'failed', readyMs: 110, askedMs: 111, startMs: 151, endMs: 161 },
        { ...pkg, weight: 1, status: 'not-started' },
        { ...left, weight: 0, status: 'left-out' },
      ],
    });
  });

  it('places a restore where it happened, and counts it as something done', () => {
    const recorder = new TimelineRecorder(500, () => 900);
    expect(recorder.didAnything).toBe(false);
    recorder.restored('a:install', { at: 520, ms: 300 });
    expect(recorder.didAnything).toBe(true);
    const [entry] = recorder.result({ tasks: [task('a:install')], recipes: ['a'], leftOut: new Set(), jobs: 1, outcome: 'succeeded' }).tasks;
    expect(entry).toMatchObject({ status: 'restored', startMs: 20, endMs: 320 });
    expect(entry!.readyMs).toBeUndefined();
  });

  it('counts a run that only skipped as one that did nothing (the last picture stays)', () => {
    let now = 0;
    const recorder = new TimelineRecorder(0, () => now);
    recorder.record({ type: 'ready', task: task('a:build') });
    now = 2;
    recorder.record({ type: 'finished', task: task('a:build'), status: 'skipped', ms: 2 });
    expect(recorder.didAnything).toBe(false);
  });
});
