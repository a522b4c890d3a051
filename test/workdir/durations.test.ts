import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { TaskDurations } from '../../src/workdir/durations.js';
import { WorkLayout } from '../../src/workdir/layout.js';
import { tempDir } from '../support/tmp.js';

describe('TaskDurations', () => {
  it('reads back what it wrote, and nothing from a missing record', async () => {
    const layout = new WorkLayout(await tempDir());
    const durations = new TaskDurations(layout.durations);
    expect(durations.read()).toEqual(new Map());
    durations.write(new Map([['gcc:build', 960_000], ['gcc:install', 42_000]]));
    expect(durations.read()).toEqual(new Map([['gcc:build', 960_000], ['gcc:install', 42_000]]));
    // Written through a temporary file, which is gone.
    expect(readdirSync(path.dirname(layout.durations))).toEqual(['durations.json']);
  });

  it('takes a record it cannot read, or entries that are not times, as no record', async () => {
    const layout = new WorkLayout(await tempDir());
    mkdirSync(path.dirname(layout.durations), { recursive: true });
    const durations = new TaskDurations(layout.durations);
    for (const text of ['{"tasks": {"a:build": 1', '[]', '{"tasks": 3}', 'null']) {
      writeFileSync(layout.durations, text);
      expect(durations.read()).toEqual(new Map());
    }
    writeFileSync(layout.durations, JSON.stringify({ tasks: { 'a:build': 5, 'b:build': -1, 'c:build': 'long', 'd:build': null } }));
    expect(durations.read()).toEqual(new Map([['a:build', 5]]));
  });
});
