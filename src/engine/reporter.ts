import type { BuildOutlook } from '../plan/estimate.js';
import type { Plan, PlannedTask } from '../plan/plan.js';

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
  /** The plan as it will run, and what the last build's times say about it. */
  start?(plan: Plan, outlook: BuildOutlook): void;
  taskStarted?(task: PlannedTask): void;
  taskFinished?(task: PlannedTask, status: FinishedStatus, ms: number, error?: unknown): void;
  /** A progress note for a running task (download bytes, current step). */
  taskProgress?(task: PlannedTask, text: string): void;
  end?(summary: BuildSummary): Promise<void> | void;
}
