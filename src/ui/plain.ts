import type { Writable } from 'node:stream';
import { describeError } from '../errors.js';
import type { BuildReporter } from '../engine/reporter.js';
import { formatDuration } from './reporter.js';

/** One line per task start and finish, for logs and CI (no terminal control codes). */
export function plainReporter(out: Writable): BuildReporter {
  const write = (line: string): void => {
    out.write(`${line}\n`);
  };
  return {
    start: (plan) => write(`plan: ${plan.tasks.size} tasks for ${plan.recipes.map((r) => r.name).join(', ')}`),
    taskStarted: (task) => write(`start   ${task.id}`),
    taskFinished: (task, status, ms, error) => {
      if (status === 'success') write(`done    ${task.id} (${formatDuration(ms)})`);
      if (status === 'restored') write(`restored ${task.id} from the cache (${formatDuration(ms)})`);
      if (status === 'failed') write(`FAILED  ${task.id} after ${formatDuration(ms)}: ${describeError(error).split('\n')[0]}`);
    },
  };
}
