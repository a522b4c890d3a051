import { stripVTControlCharacters } from 'node:util';
import { UserError } from '../errors.js';
import { formatDuration } from './reporter.js';

export const HEARTBEAT_VARIABLE = 'HERMIT_HEARTBEAT_SECONDS';

/** CI systems end a job after ten minutes without output (some after fewer): well below that. */
export const DEFAULT_HEARTBEAT_MS = 60_000;

/** How far a heartbeat reads back into a log for its last line. */
export const LOG_TAIL_BYTES = 4096;

const SHOWN_WIDTH = 160;

/**
 * Milliseconds between two heartbeats of a running task, from $HERMIT_HEARTBEAT_SECONDS (60 by
 * default; 0: none). Read once per run, like the download timeout.
 */
export function heartbeatInterval(env: NodeJS.ProcessEnv): number | undefined {
  const text = env[HEARTBEAT_VARIABLE];
  if (text === undefined || text === '') return DEFAULT_HEARTBEAT_MS;
  const seconds = Number(text);
  if (!(seconds >= 0) || !Number.isFinite(seconds)) throw new UserError(`${HEARTBEAT_VARIABLE} must be a number of seconds (0: no heartbeat), not ${JSON.stringify(text)}`);
  return seconds === 0 ? undefined : seconds * 1000;
}

/**
 * The last line of a log that shows anything, as a terminal would show it: a progress display
 * rewrites its line after carriage returns, and colours would be noise in a CI log.
 */
export function lastLogLine(lines: readonly string[]): string | undefined {
  for (const line of [...lines].reverse()) {
    const shown = stripVTControlCharacters(line.split('\r').filter((part) => part.trim() !== '').at(-1) ?? '').trim();
    if (shown !== '') return shown.length > SHOWN_WIDTH ? `${shown.slice(0, SHOWN_WIDTH - 1)}…` : shown;
  }
  return undefined;
}

/** One heartbeat: which task, for how long (against last time), and the last line of its log. */
export function heartbeatLine(task: string, elapsedMs: number, previousMs: number | undefined, logLine: string | undefined): string {
  const before = previousMs === undefined ? '' : ` (${formatDuration(previousMs)} last time)`;
  return `running ${task} for ${formatDuration(elapsedMs)}${before}: ${logLine ?? '(nothing in its log yet)'}`;
}
