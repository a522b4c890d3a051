import type { Plan, PlannedTask } from '../graph/plan.js';

/** `restored`: the task's result came from the artifact cache instead of being built. */
export type FinishedStatus = 'success' | 'failed' | 'skipped' | 'restored';

export interface BuildSummary {
  readonly ran: number;
  readonly skipped: number;
  readonly failed: number;
  /** Tasks that never started because of a failure or an interruption. */
  readonly notStarted: number;
  readonly elapsedMs: number;
  /** Extra facts for the summary line (e.g. "source override: binutils"). */
  readonly notes: readonly string[];
}

/** Hooks a build calls as it goes; every hook is optional (like nx's LifeCycle). */
export interface BuildReporter {
  start?(plan: Plan): void;
  taskStarted?(task: PlannedTask): void;
  taskFinished?(task: PlannedTask, status: FinishedStatus, ms: number, error?: unknown): void;
  /** A progress note for a running task (download bytes, current step). */
  taskProgress?(task: PlannedTask, text: string): void;
  end?(summary: BuildSummary): Promise<void> | void;
}

/** Fans every hook out to several reporters. */
export function composite(...reporters: BuildReporter[]): BuildReporter {
  return {
    start: (plan) => reporters.forEach((r) => r.start?.(plan)),
    taskStarted: (task) => reporters.forEach((r) => r.taskStarted?.(task)),
    taskFinished: (task, status, ms, error) => reporters.forEach((r) => r.taskFinished?.(task, status, ms, error)),
    taskProgress: (task, text) => reporters.forEach((r) => r.taskProgress?.(task, text)),
    end: async (summary) => {
      for (const r of reporters) await r.end?.(summary);
    },
  };
}

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${ms}ms`;
  const seconds = ms / 1000;
  if (seconds < 60) return `${seconds.toFixed(1)}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m${String(Math.round(seconds % 60)).padStart(2, '0')}s`;
  return `${Math.floor(minutes / 60)}h${String(minutes % 60).padStart(2, '0')}m`;
}

/** The one line every build ends with; CI and scripts read it. */
export function summaryLine(summary: BuildSummary): string {
  const notes = summary.notes.length > 0 ? `; ${summary.notes.join('; ')}` : '';
  return `summary: ran ${summary.ran} tasks, skipped ${summary.skipped}, failed ${summary.failed} in ${formatDuration(summary.elapsedMs)}${notes}`;
}
