import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { executeBuild, prepareBuild } from '../../src/engine/execute.js';
import type { BuildOutlook } from '../../src/plan/estimate.js';
import { CounterBudget } from '../../src/process/budget.js';
import { loadToolchain } from '../../src/recipes/load.js';
import { TaskDurations } from '../../src/workdir/durations.js';
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
