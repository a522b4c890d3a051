import { Listr, type ListrTaskWrapper, type ListrDefaultRenderer, type ListrSimpleRenderer } from 'listr2';
import type { PlannedTask } from '../plan/plan.js';
import type { BuildReporter } from '../engine/reporter.js';
import { formatDuration } from './reporter.js';

type Row = ListrTaskWrapper<unknown, ListrDefaultRenderer, ListrSimpleRenderer>;

interface RecipeRow {
  readonly name: string;
  readonly version: string;
  total: number;
  finished: number;
  skipped: number;
  restored: boolean;
  running: Map<string, number>;
  failed: string | undefined;
  row?: Row;
  done?: () => void;
}

/** The width taken for a terminal that does not tell its own. */
const FALLBACK_COLUMNS = 80;

/**
 * A terminal can say it has 0 columns (a pseudo-terminal whose size nobody set, as under some CI
 * runners or `docker exec -t`), or nothing at all; listr2 and log-update read the width from the
 * stream and would wrap every row at nothing, one character per line. Such a terminal is taken
 * as 80 columns wide, also after a resize that reports 0 again. Returns what stops the watch.
 */
function withUsableWidth(stream: NodeJS.WriteStream): () => void {
  const fix = (): void => {
    if (!stream.columns) stream.columns = FALLBACK_COLUMNS;
  };
  fix();
  stream.on('resize', fix);
  return () => stream.off('resize', fix);
}

/**
 * A live view on a terminal: one listr2 row per recipe showing its running task and elapsed
 * time. listr2 only displays; the scheduler decides what runs.
 */
export function listrReporter(): BuildReporter {
  const rows = new Map<string, RecipeRow>();
  let listr: Promise<unknown> | undefined;
  let ticker: NodeJS.Timeout | undefined;
  let unwatchWidth: (() => void) | undefined;

  const title = (r: RecipeRow): string => {
    const now = Date.now();
    const running = [...r.running].map(([kind, since]) => `${kind} ${formatDuration(now - since)}`);
    const state = r.failed ? `${r.failed} failed` : running.length > 0 ? running.join(', ') : r.finished === 0 ? 'waiting' : 'waiting for its needs';
    return `${r.name} ${r.version}: ${state} [${r.finished}/${r.total}]`;
  };
  const settle = (r: RecipeRow): void => {
    if (r.finished < r.total && !r.failed) return;
    if (r.row) {
      if (r.failed) r.row.title = title(r);
      else if (r.skipped === r.total) r.row.skip(`${r.name} ${r.version}: up to date`);
      else r.row.title = `${r.name} ${r.version}: ${r.restored ? 'restored from the cache' : 'done'}`;
    }
    r.done?.();
  };

  return {
    start(plan) {
      for (const recipe of plan.recipes) {
        const total = [...plan.tasks.values()].filter((t) => t.recipe === recipe.name).length;
        rows.set(recipe.name, { name: recipe.name, version: recipe.version, total, finished: 0, skipped: 0, restored: false, running: new Map(), failed: undefined });
      }
      unwatchWidth = withUsableWidth(process.stdout);
      listr = new Listr(
        [...rows.values()].map((r) => ({
          title: title(r),
          task: (_ctx: unknown, row: Row) =>
            new Promise<void>((resolve, reject) => {
              r.row = row;
              r.done = () => (r.failed ? reject(new Error(title(r))) : resolve());
              settle(r);
            }),
        })),
        { concurrent: true, exitOnError: false, rendererOptions: { collapseErrors: false } },
      )
        .run()
        .catch(() => undefined);
      ticker = setInterval(() => {
        for (const r of rows.values()) if (r.running.size > 0 && r.row) r.row.title = title(r);
      }, 1000);
    },
    taskStarted(task: PlannedTask) {
      const r = rows.get(task.recipe);
      if (!r) return;
      r.running.set(task.kind, Date.now());
      if (r.row) r.row.title = title(r);
    },
    taskProgress(task, text) {
      const r = rows.get(task.recipe);
      if (r?.row) r.row.output = text;
    },
    taskFinished(task, status) {
      const r = rows.get(task.recipe);
      if (!r) return;
      r.running.delete(task.kind);
      r.finished += 1;
      if (status === 'skipped') r.skipped += 1;
      if (status === 'restored') r.restored = true;
      if (status === 'failed') r.failed = task.kind;
      if (r.row) r.row.title = title(r);
      settle(r);
    },
    async end() {
      if (ticker) clearInterval(ticker);
      // Recipes that never got to run (a failure stopped the build) close as they are.
      for (const r of rows.values()) {
        if (r.finished < r.total && !r.failed) {
          r.finished = r.total;
          if (r.row) r.row.title = `${r.name} ${r.version}: not started`;
          r.done?.();
        }
      }
      await listr;
      unwatchWidth?.();
    },
  };
}
