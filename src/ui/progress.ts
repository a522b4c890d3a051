import { Listr, type ListrTaskWrapper, type ListrDefaultRenderer, type ListrSimpleRenderer } from 'listr2';
import { estimateRemaining, expectedToRun, type BuildOutlook } from '../plan/estimate.js';
import type { Plan, PlannedTask } from '../plan/plan.js';
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
  /** Running tasks by kind: when each started and how long it took last time. */
  running: Map<string, { since: number; lastMs: number | undefined }>;
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

/** The whole build's row: time so far, and what the last build's task times say is left. */
interface BuildRow {
  readonly started: number;
  readonly plan: Plan;
  readonly outlook: BuildOutlook;
  /** What the estimate said at the start, shown against the real time at the end. */
  readonly estimatedMs: number;
  readonly finished: Set<string>;
  readonly running: Map<string, number>;
  row?: Row;
  done?: () => void;
}

function buildTitle(b: BuildRow): string {
  const now = Date.now();
  const { remainingMs, untimed } = estimateRemaining(b.plan, b.outlook, { finished: b.finished, running: b.running, now });
  const more = untimed > 0 ? `, more for ${untimed} task${untimed === 1 ? '' : 's'} not timed before` : '';
  const left = remainingMs > 0 ? `about ${formatDuration(remainingMs)} left by the last build's times` : "past the last build's times";
  return `whole build: ${formatDuration(now - b.started)} so far, ${left}${more}`;
}

/**
 * A live view on a terminal: one listr2 row per recipe showing its running task and elapsed
 * time against the time it took last time, under a row for the whole build with an estimate of
 * what is left. listr2 only displays; the scheduler decides what runs.
 */
export function listrReporter(): BuildReporter {
  const rows = new Map<string, RecipeRow>();
  let whole: BuildRow | undefined;
  let previousMs: ReadonlyMap<string, number> = new Map();
  let listr: Promise<unknown> | undefined;
  let ticker: NodeJS.Timeout | undefined;
  let unwatchWidth: (() => void) | undefined;

  const title = (r: RecipeRow): string => {
    const now = Date.now();
    const running = [...r.running].map(([kind, { since, lastMs }]) => {
      const before = lastMs === undefined ? '' : ` (${formatDuration(lastMs)} last time)`;
      return `${kind} ${formatDuration(now - since)}${before}`;
    });
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
    start(plan, outlook) {
      previousMs = outlook.previousMs;
      for (const recipe of plan.recipes) {
        const total = [...plan.tasks.values()].filter((t) => t.recipe === recipe.name).length;
        rows.set(recipe.name, { name: recipe.name, version: recipe.version, total, finished: 0, skipped: 0, restored: false, running: new Map(), failed: undefined });
      }
      // Without a time from before for anything that will run there is nothing to estimate from.
      const timed = [...expectedToRun(plan, outlook.likelyUpToDate)].some((id) => outlook.previousMs.has(id));
      if (timed) {
        const started = Date.now();
        const estimatedMs = estimateRemaining(plan, outlook, { finished: new Set(), running: new Map(), now: started }).remainingMs;
        whole = { started, plan, outlook, estimatedMs, finished: new Set(), running: new Map() };
      }
      const b = whole;
      const buildRows = b
        ? [
            {
              title: buildTitle(b),
              task: (_ctx: unknown, row: Row) =>
                new Promise<void>((resolve) => {
                  b.row = row;
                  b.done = resolve;
                }),
            },
          ]
        : [];
      unwatchWidth = withUsableWidth(process.stdout);
      listr = new Listr(
        [
          ...buildRows,
          ...[...rows.values()].map((r) => ({
            title: title(r),
            task: (_ctx: unknown, row: Row) =>
              new Promise<void>((resolve, reject) => {
                r.row = row;
                r.done = () => (r.failed ? reject(new Error(title(r))) : resolve());
                settle(r);
              }),
          })),
        ],
        { concurrent: true, exitOnError: false, rendererOptions: { collapseErrors: false } },
      )
        .run()
        .catch(() => undefined);
      ticker = setInterval(() => {
        for (const r of rows.values()) if (r.running.size > 0 && r.row) r.row.title = title(r);
        if (whole?.row) whole.row.title = buildTitle(whole);
      }, 1000);
    },
    taskStarted(task: PlannedTask) {
      const now = Date.now();
      whole?.running.set(task.id, now);
      const r = rows.get(task.recipe);
      if (!r) return;
      r.running.set(task.kind, { since: now, lastMs: previousMs.get(task.id) });
      if (r.row) r.row.title = title(r);
    },
    taskProgress(task, text) {
      const r = rows.get(task.recipe);
      if (r?.row) r.row.output = text;
    },
    taskFinished(task, status) {
      whole?.running.delete(task.id);
      whole?.finished.add(task.id);
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
    async end(summary) {
      if (ticker) clearInterval(ticker);
      if (whole?.row) whole.row.title = `whole build: ${formatDuration(summary.elapsedMs)} (the last build's times said ${formatDuration(whole.estimatedMs)})`;
      whole?.done?.();
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
