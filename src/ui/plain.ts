import type { Writable } from 'node:stream';
import { describeError } from '../errors.js';
import type { BuildReporter } from '../engine/reporter.js';
import type { PlannedTask } from '../plan/plan.js';
import { tailLines } from '../process/run.js';
import { heartbeatLine, lastLogLine, LOG_TAIL_BYTES } from './heartbeat.js';
import { formatDuration } from './reporter.js';

export interface PlainOptions {
  /** The task's log, whose last line a heartbeat shows. */
  readonly logOf: (task: PlannedTask) => string;
  /** Time between two heartbeats of a running task; none: no heartbeats. */
  readonly heartbeatMs: number | undefined;
}

/**
 * How long a line may wait for the ones after it: lines go out together, since on a pipe each
 * write is a system call on the way from one task to the next, and a graph of many short tasks
 * makes two lines per task.
 */
export const LINES_WAIT_MS = 20;

/**
 * One line per task start and finish, for logs and CI (no terminal control codes); a task that
 * runs long prints a heartbeat every `heartbeatMs`, since a CI job without output for ten
 * minutes is ended as hung, and a gcc build step takes longer than that. Lines wait at most
 * LINES_WAIT_MS, and are all out when the build ends, or the process exits however it does.
 */
export function plainReporter(out: Writable, options?: PlainOptions): BuildReporter {
  let waiting = '';
  let timer: NodeJS.Timeout | undefined;
  const flush = (): void => {
    clearTimeout(timer);
    timer = undefined;
    if (waiting === '') return;
    out.write(waiting);
    waiting = '';
  };
  const write = (line: string): void => {
    waiting += `${line}\n`;
    timer ??= setTimeout(flush, LINES_WAIT_MS);
  };
  process.once('exit', flush);
  const heartbeats = new Map<string, NodeJS.Timeout>();
  let previousMs: ReadonlyMap<string, number> = new Map();
  const stopHeartbeat = (task: PlannedTask): void => {
    clearInterval(heartbeats.get(task.id));
    heartbeats.delete(task.id);
  };
  const startHeartbeat = (task: PlannedTask): void => {
    if (!options?.heartbeatMs) return;
    const started = Date.now();
    const beat = async (): Promise<void> => {
      const tail = await tailLines(options.logOf(task), 20, LOG_TAIL_BYTES).catch(() => []);
      // The task may have ended while its log was read: a beat after its done line would mislead.
      if (heartbeats.has(task.id)) write(heartbeatLine(task.id, Date.now() - started, previousMs.get(task.id), lastLogLine(tail)));
    };
    const timer = setInterval(() => void beat(), options.heartbeatMs);
    // A heartbeat is no reason to keep the process alive.
    timer.unref();
    heartbeats.set(task.id, timer);
  };
  return {
    start: (plan, outlook) => {
      previousMs = outlook.previousMs;
      write(`plan: ${plan.tasks.size} tasks for ${plan.recipes.map((r) => r.name).join(', ')}`);
    },
    taskStarted: (task) => {
      write(`start   ${task.id}`);
      startHeartbeat(task);
    },
    taskFinished: (task, status, ms, error) => {
      stopHeartbeat(task);
      if (status === 'success') write(`done    ${task.id} (${formatDuration(ms)})`);
      if (status === 'restored') write(`restored ${task.id} from the cache (${formatDuration(ms)})`);
      if (status === 'failed') write(`FAILED  ${task.id} after ${formatDuration(ms)}: ${describeError(error).split('\n')[0]}`);
    },
    end: () => {
      for (const beat of heartbeats.values()) clearInterval(beat);
      heartbeats.clear();
      flush();
      process.removeListener('exit', flush);
    },
  };
}
