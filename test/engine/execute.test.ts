import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { executeBuild, prepareBuild } from '../../src/engine/execute.js';
import type { BuildOutlook } from '../../src/plan/estimate.js';
import { CounterBudget } from '../../src/process/budget.js';
import { loadToolchain } from '../../src/recipes/load.js';
import { TaskDurations } from '../../src/workdir/durations.js';
import { TimelineFile } from '../../src/workdir/timeline.js';
import { WorkLayout } from '../../src/workdir/layout.js';
import { tempDir } from '../support/tmp.js';

describe('the durations a build records', () => {
  it('records each task that ran, keeps the times of skipped ones, and tells the reporter the last build\'s', async () => {
    const root = await tempDir();
    const dir = path.join(root, 'toolchain');
    mkdirSync(path.join(dir, 'recipes'), { recursive: true });
    const write = (name: string, sleep: string) =>
      writeFileSync(path.join(dir, `recipes/${name}.yaml`), `name: ${name}\nversion: "1"\nsummary: s\nlicense: MIT\nbuild:\n  - [sleep, "${sleep}"]\ninstall:\n  - ["true"]\n`);
    write('quick', '0');
    write('slow', '0.3');
    const work = path.join(root, 'work');
    const durations = new TaskDurations(new WorkLayout(work).durations);
    const build = async (options: { force?: string[]; touch?: boolean } = {}) => {
      const outlooks: BuildOutlook[] = [];
      const prepared = await prepareBuild({ toolchain: await loadToolchain(dir), workDir: work, cacheDir: path.join(root, 'cache'), jobs: 2 });
      const outcome = await executeBuild(prepared, { budget: new CounterBudget(2), reporter: { start: (_plan, outlook) => outlooks.push(outlook) }, ...options });
      expect(outcome.failed).toBe(0);
      return outlooks[0]!;
    };

    const first = await build();
    expect(first.previousMs).toEqual(new Map());
    expect(first.likelyUpToDate).toEqual(new Set());
    expect(first.jobs).toBe(2);
    const recorded = durations.read();
    expect([...recorded.keys()].sort()).toEqual(['quick:build', 'quick:install', 'slow:build', 'slow:install']);
    expect(recorded.get('slow:build')).toBeGreaterThanOrEqual(300);

    const second = await build({ force: ['quick'] });
    expect(second.previousMs).toEqual(recorded);
    // Forced tasks forget their keys first: only slow's are expected to be skipped.
    expect([...second.likelyUpToDate].sort()).toEqual(['slow:build', 'slow:install']);
    expect(durations.read().get('slow:build')).toBe(recorded.get('slow:build'));

    // Touched tasks took no time to build: the times of their real runs stay.
    const before = durations.read();
    await build({ force: ['slow'], touch: true });
    expect(durations.read()).toEqual(before);
  });
});

describe('the timeline a build records', () => {
  it('records every task\'s times, also when the build fails or is cancelled, and keeps the last one through a build that did nothing', async () => {
    const root = await tempDir();
    const dir = path.join(root, 'toolchain');
    mkdirSync(path.join(dir, 'recipes'), { recursive: true });
    const write = (name: string, step: string) =>
      writeFileSync(path.join(dir, `recipes/${name}.yaml`), `name: ${name}\nversion: "1"\nsummary: s\nlicense: MIT\nbuild:\n  - ${step}\ninstall:\n  - ["true"]\n`);
    write('first', '[sleep, "0.3"]');
    write('second', '[sleep, "0.3"]');
    const work = path.join(root, 'work');
    const file = new TimelineFile(new WorkLayout(work).timeline);
    const build = async (options: { force?: string[]; signal?: AbortSignal } = {}) => {
      const prepared = await prepareBuild({ toolchain: await loadToolchain(dir), workDir: work, cacheDir: path.join(root, 'cache'), jobs: 1 });
      return executeBuild(prepared, { budget: new CounterBudget(1), ...options });
    };

    const done = await build();
    const timeline = file.read();
    expect(done.timeline).toEqual(timeline);
    expect(timeline).toMatchObject({ jobs: 1, outcome: 'succeeded', recipes: ['first', 'second'] });
    expect(timeline.tasks.map((task) => `${task.id} ${task.status}`)).toEqual(['first:build ran', 'first:install ran', 'second:build ran', 'second:install ran']);
    for (const task of timeline.tasks) {
      expect(task.readyMs!).toBeLessThanOrEqual(task.askedMs!);
      expect(task.askedMs!).toBeLessThanOrEqual(task.startMs!);
      expect(task.startMs!).toBeLessThanOrEqual(task.endMs!);
      expect(task.endMs!).toBeLessThanOrEqual(timeline.endMs);
    }
    // One slot: the build that went second asked for it at the start and got it when the first ended.
    const [one, two] = timeline.tasks.filter((task) => task.kind === 'build').sort((a, b) => a.startMs! - b.startMs!);
    expect(two!.askedMs!).toBeLessThan(one!.endMs!);
    expect(two!.startMs! - two!.askedMs!).toBeGreaterThanOrEqual(250);

    const noop = await build();
    expect(noop.timeline).toBeUndefined();
    expect(file.read()).toEqual(timeline);

    write('second', '["false"]');
    const failed = await build();
    expect(failed.failed).toBe(1);
    expect(file.read().outcome).toBe('failed');
    expect(file.read().tasks.map((task) => `${task.id} ${task.status}`)).toEqual(['first:build skipped', 'first:install skipped', 'second:build failed', 'second:install not-started']);

    write('second', '[sleep, "10"]');
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('SIGINT')), 500);
    const cancelled = await build({ signal: controller.signal });
    expect(cancelled.cancelled).toBe(true);
    expect(file.read().outcome).toBe('cancelled');
    expect(file.read().tasks.find((task) => task.id === 'second:build')).toMatchObject({ status: 'failed' });
  });
});
