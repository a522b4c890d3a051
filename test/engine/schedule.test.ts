import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CounterBudget, type Budget } from '../../src/process/budget.js';
import { LazyJobserver } from '../../src/process/jobserver.js';
import { BudgetError, schedule, type ScheduleOptions, type SchedulableTask } from '../../src/engine/schedule.js';
import { tempDir } from '../support/tmp.js';

interface Control {
  resolve(): void;
  reject(error: Error): void;
  signal: AbortSignal;
}

/**
 * Fake tasks the test drives by hand: each started task waits until the test finishes it, so
 * every interleaving below is deterministic.
 */
function rig(graph: Record<string, string[]>, options: Partial<ScheduleOptions<SchedulableTask>> = {}) {
  const tasks = Object.entries(graph).map(([id, deps]) => ({ id, deps }));
  const started: string[] = [];
  const running = new Map<string, Control>();
  let peak = 0;
  const result = schedule({
    tasks,
    budget: new CounterBudget(2),
    isUpToDate: async () => false,
    run: (task, signal) =>
      new Promise<void>((resolve, reject) => {
        started.push(task.id);
        running.set(task.id, {
          resolve: () => (running.delete(task.id), resolve()),
          reject: (error) => (running.delete(task.id), reject(error)),
          signal,
        });
        peak = Math.max(peak, running.size);
      }),
    ...options,
  });
  const settle = () => new Promise((resolve) => setTimeout(resolve, 5));
  const finish = async (id: string, error?: Error) => {
    await settle();
    const control = running.get(id);
    if (!control) throw new Error(`${id} is not running (running: ${[...running.keys()].join(', ')})`);
    if (error) control.reject(error);
    else control.resolve();
    await settle();
  };
  return { result, started, running, finish, settle, peak: () => peak };
}

describe('the scheduler', () => {
  it('starts a task only after its dependencies', async () => {
    const r = rig({ a: [], b: ['a'], c: ['b'] });
    await r.settle();
    expect(r.started).toEqual(['a']);
    await r.finish('a');
    expect(r.started).toEqual(['a', 'b']);
    await r.finish('b');
    await r.finish('c');
    const { status } = await r.result;
    expect([...status.values()]).toEqual(['success', 'success', 'success']);
  });

  it('never runs more tasks than the budget', async () => {
    const r = rig({ a: [], b: [], c: [], d: [] });
    await r.settle();
    expect(r.running.size).toBe(2);
    await r.finish(r.started[0]!);
    expect(r.started).toHaveLength(3);
    for (const id of ['b', 'c', 'd']) if (r.running.has(id)) await r.finish(id);
    for (const id of [...r.running.keys()]) await r.finish(id);
    await r.result;
    expect(r.peak()).toBe(2);
    expect(r.started).toHaveLength(4);
  });

  it('takes no slot for weightless tasks', async () => {
    const r = rig({ f1: [], f2: [], f3: [], b: [] }, { weight: (t) => (t.id.startsWith('f') ? 0 : 1), budget: new CounterBudget(1) });
    await r.settle();
    expect(r.running.size).toBe(4);
    for (const id of ['f1', 'f2', 'f3', 'b']) await r.finish(id);
    await r.result;
  });

  it('on a failure starts nothing new, lets running tasks finish, and drops the rest', async () => {
    const r = rig({ a: [], b: [], c: [], d: ['a'] });
    await r.settle();
    expect(r.started).toEqual(['a', 'b']);
    await r.finish('a', new Error('boom'));
    expect(r.started).toEqual(['a', 'b']);
    await r.finish('b');
    const { status, errors } = await r.result;
    expect(Object.fromEntries(status)).toEqual({ a: 'failed', b: 'success', c: 'aborted', d: 'aborted' });
    expect((errors.get('a') as Error).message).toBe('boom');
  });

  it('with keepGoing runs everything that does not depend on the failure', async () => {
    const r = rig({ a: [], b: [], c: [], d: ['a'], e: ['c'] }, { keepGoing: true });
    await r.settle();
    await r.finish('a', new Error('boom'));
    await r.finish('b');
    await r.finish('c');
    await r.finish('e');
    const { status } = await r.result;
    expect(Object.fromEntries(status)).toEqual({ a: 'failed', b: 'success', c: 'success', d: 'aborted', e: 'success' });
  });

  it('skips up-to-date tasks without taking a slot and goes on with their dependents', async () => {
    const r = rig({ a: [], b: ['a'], c: ['b'] }, { isUpToDate: async (t) => t.id !== 'c', budget: new CounterBudget(1) });
    await r.settle();
    expect(r.started).toEqual(['c']);
    await r.finish('c');
    const { status } = await r.result;
    expect(Object.fromEntries(status)).toEqual({ a: 'skipped', b: 'skipped', c: 'success' });
  });

  it('cancels: running tasks see the abort, nothing new starts', async () => {
    const controller = new AbortController();
    const r = rig({ a: [], b: [], c: [] }, { signal: controller.signal });
    await r.settle();
    const signals = [...r.running.values()].map((c) => c.signal);
    controller.abort(new Error('SIGINT'));
    expect(signals.every((s) => s.aborted)).toBe(true);
    await r.finish('a', new Error('killed'));
    await r.finish('b', new Error('killed'));
    const result = await r.result;
    expect(result.cancelled).toBe(true);
    expect(result.status.get('c')).toBe('aborted');
    expect(r.started).toEqual(['a', 'b']);
  });

  it('starts the highest priority ready task first', async () => {
    const r = rig({ low: [], high: [], mid: [] }, { budget: new CounterBudget(1), priority: new Map([['low', 1], ['mid', 5], ['high', 9]]) });
    await r.settle();
    await r.finish('high');
    await r.finish('mid');
    await r.finish('low');
    await r.result;
    expect(r.started).toEqual(['high', 'mid', 'low']);
  });

  // The budget fails once and then grants every slot: a scheduler that took the failure for a
  // cancellation would retry, get a slot and run the task, so the test ends either way.
  it('fails the task when the budget cannot give a slot, and starts nothing else', { timeout: 2000 }, async () => {
    const broken = new Error('mkfifo: Permission denied');
    let asked = 0;
    const budget: Budget = {
      acquire: async () => {
        asked += 1;
        if (asked === 1) throw broken;
      },
      release: () => {},
    };
    const r = rig({ a: [], b: [], c: ['a'] }, { budget, keepGoing: true });
    await r.settle();
    while (r.running.size > 0) await r.finish(r.running.keys().next().value!);
    const { status, errors, cancelled } = await r.result;
    expect(asked).toBe(1);
    expect(r.started).toEqual([]);
    expect(Object.fromEntries(status)).toEqual({ a: 'failed', b: 'aborted', c: 'aborted' });
    const error = errors.get('a');
    expect(error).toBeInstanceOf(BudgetError);
    expect((error as Error).message).toBe('no job slot for a: mkfifo: Permission denied');
    expect((error as Error).cause).toBe(broken);
    expect(cancelled).toBe(false);
  });

  it('fails the build when the jobserver cannot be made', { timeout: 5000 }, async () => {
    const dir = path.join(await tempDir(), 'missing');
    const server = new LazyJobserver(() => path.join(dir, 'fifo'), 2);
    // Only the first slot is the real jobserver's, so that a retry could not spin forever.
    let asked = 0;
    const budget: Budget = { acquire: (signal) => (++asked === 1 ? server.acquire(signal) : Promise.resolve()), release: () => {} };
    const r = rig({ a: [] }, { budget });
    await r.settle();
    while (r.running.size > 0) await r.finish(r.running.keys().next().value!);
    const { status, errors } = await r.result;
    expect(status.get('a')).toBe('failed');
    expect((errors.get('a') as Error).message).toMatch(/^no job slot for a: cannot make the jobserver's FIFO .*missing\/fifo: No such file or directory$/);
  });

  it('does not fail a task whose wait for a slot was cancelled', { timeout: 2000 }, async () => {
    const controller = new AbortController();
    const r = rig({ a: [], b: [] }, { budget: new CounterBudget(1), signal: controller.signal });
    await r.settle();
    controller.abort(new Error('SIGINT'));
    await r.finish('a', new Error('killed'));
    const { status, errors, cancelled } = await r.result;
    expect(Object.fromEntries(status)).toEqual({ a: 'failed', b: 'aborted' });
    expect([...errors.keys()]).toEqual(['a']);
    expect(cancelled).toBe(true);
  });

  it('tells each task\'s moments as they happen: ready, waiting for its slot, started, finished', async () => {
    const events: string[] = [];
    const r = rig(
      { a: [], b: [], c: ['a'] },
      { budget: new CounterBudget(1), isUpToDate: async (task) => task.id === 'c', onEvent: (event) => events.push(`${event.type} ${event.task.id}`) },
    );
    await r.settle();
    await r.finish('a');
    await r.finish('b');
    await r.result;
    // b asks for the one slot while a holds it; c becomes ready when a ends and is skipped.
    expect(events).toEqual(['ready a', 'ready b', 'waiting a', 'started a', 'waiting b', 'finished a', 'ready c', 'started b', 'finished c', 'finished b']);
  });

  it('refuses a dependency on an unknown task', async () => {
    await expect(schedule({ tasks: [{ id: 'a', deps: ['zz'] }], budget: new CounterBudget(1), isUpToDate: async () => false, run: async () => {} })).rejects.toThrow(
      /unknown task zz/,
    );
  });
});
