import { describe, expect, it } from 'vitest';
import { runCriticalPath, waitMs } from '../../src/plan/timeline.js';
import { timed, timelineOf } from '../support/timelines.js';

const pathOf = (tasks: Parameters<typeof timelineOf>[0]): string[] => runCriticalPath(timelineOf(tasks)).map((link) => `${link.via} ${link.task.id}`);

describe("a run's critical path", () => {
  it('follows the dependency that finished last, back from the task that finished last', () => {
    expect(
      pathOf([
        timed('a:build', [], { start: 0, end: 5 }),
        timed('b:build', [], { start: 0, end: 8 }),
        // c needs both; b finished last, so b held c up.
        timed('c:build', ['a:build', 'b:build'], { start: 8, end: 10 }),
        timed('c:install', ['c:build'], { start: 10, end: 11 }),
        // Ends before c:install: not on the path.
        timed('d:build', [], { start: 0, end: 9 }),
      ]),
    ).toEqual(['start b:build', 'dep c:build', 'dep c:install']);
  });

  it('goes through the task that gave back a slot when a ready task waited for one', () => {
    // One job: b was ready at 1 (its fetch done) but got a slot only when a's build ended at 6.
    expect(
      pathOf([
        timed('a:build', [], { start: 0, end: 6 }),
        timed('b:fetch', [], { start: 0, end: 1 }, { weight: 0 }),
        timed('b:build', ['b:fetch'], { ready: 1, start: 6, end: 9 }),
      ]),
    ).toEqual(['start a:build', 'slot b:build']);
  });

  it('takes a short delay with no slot given back in it for the scheduler\'s own work, not a wait', () => {
    expect(
      pathOf([
        timed('a:build', [], { start: 0, end: 6 }),
        timed('b:fetch', [], { start: 0, end: 1 }, { weight: 0 }),
        // Started 20 ms after it was ready, and nothing ended in between.
        timed('b:build', ['b:fetch'], { ready: 1, start: 1.02, end: 9 }),
      ]),
    ).toEqual(['start b:fetch', 'dep b:build']);
  });

  it('does not count a download or a skipped task as giving back a slot: they hold none', () => {
    expect(
      pathOf([
        timed('a:build', [], { start: 0, end: 2 }),
        timed('x:fetch', [], { start: 0, end: 5 }, { weight: 0 }),
        timed('y:build', [], { start: 4, end: 4.01 }, { status: 'skipped', askedMs: undefined }),
        timed('b:build', ['a:build'], { ready: 2, start: 6, end: 9 }),
      ]),
    ).toEqual(['start a:build', 'dep b:build']);
  });

  it('starts at a restored image, which ended before the schedule began', () => {
    expect(
      pathOf([
        timed('a:install', [], { start: 0, end: 3 }, { status: 'restored', readyMs: undefined, askedMs: undefined }),
        timed('b:build', ['a:install'], { start: 3.1, end: 7 }),
      ]),
    ).toEqual(['start a:install', 'dep b:build']);
  });

  it('ends at the failure that ended a failed run, and leaves out tasks that never started', () => {
    const links = runCriticalPath(
      timelineOf([
        timed('a:build', [], { start: 0, end: 2 }),
        timed('a:install', ['a:build'], { start: 2, end: 4 }, { status: 'failed' }),
        { id: 'a:package', recipe: 'a', kind: 'package', deps: ['a:install'], weight: 1, status: 'not-started' },
      ]),
    );
    expect(links.map((link) => link.task.id)).toEqual(['a:build', 'a:install']);
  });

  it('is empty when nothing has times, and stops on tasks of no duration that would loop', () => {
    expect(pathOf([{ id: 'a:build', recipe: 'a', kind: 'build', deps: [], weight: 1, status: 'left-out' }])).toEqual([]);
    const loop = pathOf([timed('a:build', ['b:build'], { ready: 0, start: 1, end: 1 }), timed('b:build', ['a:build'], { ready: 0, start: 1, end: 1 })]);
    expect(loop.length).toBeGreaterThan(0);
    expect(loop[0]).toMatch(/^start /);
  });
});

describe('the wait of a task', () => {
  it('is the time from ready to start, and none for a skipped task (its bar is its check)', () => {
    expect(waitMs(timed('a:build', [], { ready: 1, start: 4, end: 5 }))).toBe(3000);
    expect(waitMs(timed('a:build', [], { ready: 1, start: 4, end: 5 }, { status: 'skipped' }))).toBe(0);
    expect(waitMs({ id: 'a:build', recipe: 'a', kind: 'build', deps: [], weight: 1, status: 'not-started' })).toBe(0);
  });
});
