import { UserError, describeError } from '../errors.js';
import type { Budget } from '../process/budget.js';

export type TaskStatus = 'pending' | 'queued' | 'running' | 'success' | 'failed' | 'skipped' | 'aborted';

export interface SchedulableTask {
  readonly id: string;
  readonly deps: readonly string[];
}

/**
 * What happens to a task, in order: `ready` (its dependencies are done and it joins the queue),
 * `waiting` (its up-to-date check said it must run, and it asks the budget for its slot),
 * `started` (it holds its slot and runs), `finished`. A skipped task goes from ready to finished.
 * Each is sent at the moment it happens, so a listener can take the time itself.
 */
export type ScheduleEvent<T> =
  | { type: 'ready'; task: T }
  | { type: 'waiting'; task: T }
  | { type: 'started'; task: T }
  | { type: 'finished'; task: T; status: 'success' | 'failed' | 'skipped'; ms: number; error?: unknown };

export interface ScheduleOptions<T extends SchedulableTask> {
  /** Every task, dependencies before dependents. */
  readonly tasks: readonly T[];
  readonly budget: Budget;
  /** Slots a task takes from the budget: 1 by default, 0 for tasks that wait on the network. */
  readonly weight?: (task: T) => 0 | 1;
  /** Higher runs first among ready tasks (e.g. the critical path). */
  readonly priority?: ReadonlyMap<string, number>;
  /** After a failure, go on with everything that does not depend on it. */
  readonly keepGoing?: boolean;
  /** Cancels the run: nothing new starts and running tasks see the abort through their signal. */
  readonly signal?: AbortSignal;
  /** Decided when the task becomes ready, so it sees what its dependencies just did. */
  readonly isUpToDate: (task: T) => Promise<boolean>;
  readonly run: (task: T, signal: AbortSignal) => Promise<void>;
  readonly onEvent?: (event: ScheduleEvent<T>) => void;
}

/**
 * The budget could not give a task its slot for a reason other than the run's cancellation: a
 * jobserver that could not be made (its FIFO could not be) or that is closed.
 */
export class BudgetError extends UserError {
  constructor(
    readonly task: string,
    cause: unknown,
  ) {
    super(`no job slot for ${task}: ${describeError(cause)}`, { cause });
  }
}

export interface ScheduleResult {
  readonly status: ReadonlyMap<string, TaskStatus>;
  readonly errors: ReadonlyMap<string, unknown>;
  readonly cancelled: boolean;
}

/**
 * Runs a dependency graph of tasks under one budget. On a failure nothing new starts and the
 * running tasks are let finish (or, with keepGoing, only the failure's dependents are dropped).
 * Tasks that never ran end as `aborted`.
 */
export async function schedule<T extends SchedulableTask>(options: ScheduleOptions<T>): Promise<ScheduleResult> {
  const { tasks, budget, keepGoing = false, onEvent } = options;
  const byId = new Map(tasks.map((task) => [task.id, task]));
  const status = new Map<string, TaskStatus>(tasks.map((task) => [task.id, 'pending']));
  const errors = new Map<string, unknown>();
  const waitingOn = new Map<string, number>();
  const dependents = new Map<string, string[]>();
  for (const task of tasks) {
    waitingOn.set(task.id, task.deps.length);
    for (const dep of task.deps) {
      if (!byId.has(dep)) throw new Error(`task ${task.id} depends on unknown task ${dep}`);
      dependents.set(dep, [...(dependents.get(dep) ?? []), task.id]);
    }
  }
  const priority = (task: T): number => options.priority?.get(task.id) ?? 0;
  const ready: T[] = [];
  const enqueue = (task: T): void => {
    const at = ready.findIndex((other) => priority(other) < priority(task));
    ready.splice(at < 0 ? ready.length : at, 0, task);
    status.set(task.id, 'queued');
    onEvent?.({ type: 'ready', task });
  };
  for (const task of tasks) if (task.deps.length === 0) enqueue(task);

  const controller = new AbortController();
  let stopping = false;
  const cancel = (): void => {
    stopping = true;
    controller.abort(options.signal?.reason);
  };
  if (options.signal?.aborted) cancel();
  options.signal?.addEventListener('abort', cancel, { once: true });

  const dropDependents = (id: string): void => {
    for (const next of dependents.get(id) ?? []) {
      if (status.get(next) === 'pending') {
        status.set(next, 'aborted');
        dropDependents(next);
      }
    }
  };
  const finish = (task: T, result: 'success' | 'failed' | 'skipped', started: number, error?: unknown): void => {
    status.set(task.id, result);
    onEvent?.({ type: 'finished', task, status: result, ms: Date.now() - started, ...(error === undefined ? {} : { error }) });
    if (result === 'failed') {
      errors.set(task.id, error);
      dropDependents(task.id);
      if (!keepGoing) stopping = true;
      return;
    }
    for (const next of dependents.get(task.id) ?? []) {
      const left = waitingOn.get(next)! - 1;
      waitingOn.set(next, left);
      if (left === 0 && status.get(next) === 'pending') enqueue(byId.get(next)!);
    }
  };

  const running = new Set<Promise<void>>();
  for (;;) {
    if (!stopping && ready.length > 0) {
      const task = ready.shift()!;
      const checked = Date.now();
      let upToDate: boolean;
      try {
        upToDate = await options.isUpToDate(task);
      } catch (error) {
        finish(task, 'failed', checked, error);
        continue;
      }
      if (upToDate) {
        finish(task, 'skipped', checked);
        continue;
      }
      const slots = options.weight?.(task) ?? 1;
      onEvent?.({ type: 'waiting', task });
      try {
        if (slots > 0) await budget.acquire(controller.signal);
      } catch (error) {
        if (controller.signal.aborted) {
          ready.unshift(task);
          continue;
        }
        // The budget itself is broken, so no other task would get a slot either: stop, even
        // with keepGoing, rather than ask it again and again.
        finish(task, 'failed', checked, new BudgetError(task.id, error));
        stopping = true;
        continue;
      }
      if (stopping) {
        if (slots > 0) budget.release();
        ready.unshift(task);
        continue;
      }
      status.set(task.id, 'running');
      onEvent?.({ type: 'started', task });
      const started = Date.now();
      const done: Promise<void> = options
        .run(task, controller.signal)
        .then(
          () => finish(task, 'success', started),
          (error: unknown) => finish(task, 'failed', started, error),
        )
        .finally(() => {
          if (slots > 0) budget.release();
          running.delete(done);
        });
      running.add(done);
      continue;
    }
    if (running.size === 0) break;
    await Promise.race(running);
  }
  options.signal?.removeEventListener('abort', cancel);
  for (const [id, state] of status) if (state === 'pending' || state === 'queued') status.set(id, 'aborted');
  return { status, errors, cancelled: controller.signal.aborted };
}
