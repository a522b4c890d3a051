import { TaskError } from '../errors.js';
import { fetchSource, isFetched } from '../sources/source.js';
import { appendLog } from '../process/run.js';
import { recipeOf } from './context.js';
import type { TaskKindModule } from './kind.js';

/** Turns byte counts into a bar with "12.3 MiB of 80.0 MiB, 4.1 MiB/s", at most a few times a second. */
function progressReporter(show: (text: string) => void) {
  const started = Date.now();
  let last = 0;
  return ({ transferred, total }: { transferred: number; total: number | undefined }): void => {
    const now = Date.now();
    if (now - last < 250) return;
    last = now;
    const mib = (bytes: number): string => `${(bytes / 1048576).toFixed(1)} MiB`;
    const rate = transferred / Math.max(0.001, (now - started) / 1000);
    const bar = total ? `${'█'.repeat(Math.round((20 * transferred) / total)).padEnd(20, '░')} ${Math.floor((100 * transferred) / total)}% ` : '';
    show(`${bar}${mib(transferred)}${total ? ` of ${mib(total)}` : ''}, ${mib(rate)}/s`);
  };
}

/**
 * fetch: the recipe's source into the shared download cache. The cache is content-addressed and
 * shared by every work directory, so it is its own record of what was fetched.
 */
export const fetch: TaskKindModule = {
  kind: 'fetch',
  outputsAreTheRecord: true,
  keyFields: (recipe, inputs) => ({ source: inputs.sourceIds.get(recipe.name) ?? null }),
  outputsPresent: (ctx, task) => isFetched(ctx.sources, recipeOf(ctx, task)),
  async run(ctx, task, signal, logFile) {
    const recipe = recipeOf(ctx, task);
    const lines: string[] = [];
    try {
      await fetchSource(ctx.sources, recipe, {
        signal,
        log: (line) => lines.push(line),
        onProgress: ctx.onProgress && progressReporter((text) => ctx.onProgress!(task, text)),
      });
    } catch (error) {
      throw new TaskError(recipe.name, 'fetch', error instanceof Error ? error.message : String(error), { logPath: logFile, cause: error });
    } finally {
      await appendLog(logFile, lines.join('\n'));
    }
  },
  async touch(ctx, task) {
    if (!(await isFetched(ctx.sources, recipeOf(ctx, task)))) throw new TaskError(task.recipe, 'fetch', 'cannot mark as done: the source is not in the cache (run fetch)');
  },
};
