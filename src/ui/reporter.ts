import type { BuildSummary } from '../engine/reporter.js';

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
