import { describe, expect, it } from 'vitest';
import { estimateRemaining, expectedToRun, type BuildOutlook, type BuildProgress } from '../../src/plan/estimate.js';
import { planBuild } from '../../src/plan/plan.js';
import { recipe, recipesByName, urlSource } from '../support/recipes.js';

const MINUTE = 60_000;
const steps = { build: [['make']], install: [['make', 'install']] };

// binutils and newlib are independent; gcc needs binutils. Each: fetch, unpack, build, install.
const plan = planBuild({
  recipes: recipesByName(
    recipe('binutils', { source: urlSource('b.tar.xz'), ...steps }),
    recipe('gcc', { source: urlSource('g.tar.xz'), needs: ['binutils'], ...steps }),
    recipe('newlib', { source: urlSource('n.tar.gz'), ...steps }),
  ),
});

/** Last time: fetches 3 minutes, unpacks 1, builds 10, installs 2; every task had a time. */
function lastTimes(): Map<string, number> {
  const minutes = { fetch: 3, unpack: 1, build: 10, install: 2 } as Record<string, number>;
  return new Map([...plan.tasks.values()].map((task) => [task.id, minutes[task.kind]! * MINUTE]));
}

const outlook = (fields: Partial<BuildOutlook> = {}): BuildOutlook => ({ previousMs: lastTimes(), likelyUpToDate: new Set(), jobs: 1, ...fields });
const atStart: BuildProgress = { finished: new Set(), running: new Map(), now: 0 };

describe('the estimate of what a build has left', () => {
  it('with one job: every task one after another, except the downloads, which take no job slot', () => {
    // The three downloads run at once from the start; then each recipe's 13 minutes in turn.
    const { remainingMs, untimed } = estimateRemaining(plan, outlook(), atStart);
    expect(untimed).toBe(0);
    expect(remainingMs).toBe(3 * MINUTE + 3 * 13 * MINUTE);
  });

  it('with more jobs: independent recipes side by side, the needs in order', () => {
    // The downloads, then the three unpacks at once, binutils and newlib side by side, and
    // gcc's build and install once binutils is installed: 3 + 13 + 12 minutes.
    expect(estimateRemaining(plan, outlook({ jobs: 3 }), atStart).remainingMs).toBe(3 * MINUTE + 13 * MINUTE + 12 * MINUTE);
  });

  it('takes a running task as having its last time left, less its time so far', () => {
    const progress: BuildProgress = {
      finished: new Set([...plan.tasks.keys()].filter((id) => id !== 'newlib:install')),
      running: new Map([['newlib:install', 0]]),
      now: 0.5 * MINUTE,
    };
    expect(estimateRemaining(plan, outlook(), progress).remainingMs).toBe(1.5 * MINUTE);
    // Slower than last time: about to end, as far as anyone can tell.
    expect(estimateRemaining(plan, outlook(), { ...progress, now: 5 * MINUTE }).remainingMs).toBe(0);
  });

  it('counts tasks that will be skipped as taking nothing, and says how many tasks it has no time for', () => {
    const binutils = [...plan.tasks.keys()].filter((id) => id.startsWith('binutils:'));
    const previousMs = lastTimes();
    previousMs.delete('newlib:build');
    const { remainingMs, untimed } = estimateRemaining(plan, outlook({ likelyUpToDate: new Set(binutils), previousMs }), atStart);
    expect(untimed).toBe(1);
    // Downloads 3 min (two of them, at once), then gcc's 13 and newlib's 3 (its build untimed) on one slot.
    expect(remainingMs).toBe(3 * MINUTE + 13 * MINUTE + 3 * MINUTE);
  });

  it('nothing left once every task finished', () => {
    expect(estimateRemaining(plan, outlook(), { finished: new Set(plan.tasks.keys()), running: new Map(), now: 0 })).toEqual({ remainingMs: 0, untimed: 0 });
  });
});

describe('the tasks expected to run', () => {
  it('are those not up to date and the later tasks of their recipe, not their dependents elsewhere', () => {
    const upToDate = new Set([...plan.tasks.keys()].filter((id) => id !== 'binutils:build'));
    expect([...expectedToRun(plan, upToDate)].sort()).toEqual(['binutils:build', 'binutils:install']);
  });
});
