import { setTimeout as sleep } from 'node:timers/promises';
import { HttpStatusError } from './http.js';

/**
 * When a network failure is worth another attempt, and how long to wait before it. One list for
 * every caller: a server that is busy or a connection that broke is the same event whether it
 * happens to a source download or to the artifact cache.
 */

export interface RetrySchedule {
  /** Attempts in all, the first one included. */
  readonly attempts: number;
  /** The wait before the second attempt. */
  readonly backoffMs: number;
  /** Each later wait is this many times the one before. */
  readonly factor: number;
}

/** Errors of the connection itself (node's and got's codes), as opposed to a refusal by the server. */
const TRANSIENT_CODES: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ERR_GOT_REQUEST_ERROR',
  'ERR_STREAM_PREMATURE_CLOSE',
]);

/**
 * Of those, the ones that say nothing listens at the address: the server is down or the port is
 * wrong, and a second later it most likely still is. They are not retried at the same URL, so a
 * caller with other places (a mirror) tries the next one at once; they are still transient, so
 * what a download received before is kept for that next place to resume.
 */
const UNANSWERED_CODES: ReadonlySet<string> = new Set(['ECONNREFUSED']);

/** got's names for a timeout and for a body that broke off, whatever the code underneath. */
const TRANSIENT_NAMES: ReadonlySet<string> = new Set(['TimeoutError', 'ReadError']);

/** Statuses that say "later": server errors, a request timeout, too many requests. */
export function isTransientStatus(status: number): boolean {
  return status >= 500 || status === 408 || status === 429;
}

/** A failure worth another attempt at the same URL. */
export function isTransient(error: unknown): boolean {
  if (error instanceof HttpStatusError) return isTransientStatus(error.status);
  if (typeof error !== 'object' || error === null) return false;
  const { code, name } = error as { code?: unknown; name?: unknown };
  return (typeof code === 'string' && TRANSIENT_CODES.has(code)) || (typeof name === 'string' && TRANSIENT_NAMES.has(name));
}

/** A failure worth another attempt at the same URL after a wait: transient, and not a refused connection. */
export function isWorthRetrying(error: unknown): boolean {
  if (!isTransient(error)) return false;
  const { code } = error as { code?: unknown };
  return !(typeof code === 'string' && UNANSWERED_CODES.has(code));
}

/** The wait after failed attempt number `attempt` (counted from 1). */
export function backoffDelay(schedule: RetrySchedule, attempt: number): number {
  return schedule.backoffMs * schedule.factor ** (attempt - 1);
}

export interface RetryOptions {
  /** Once aborted, a failure is final. */
  readonly signal?: AbortSignal | undefined;
  /** Hears each failure that will be retried, with the wait before the next attempt. */
  readonly onRetry?: ((error: unknown, attempt: number, waitMs: number) => void) | undefined;
}

/**
 * Runs `attempt` until it succeeds, fails for a reason not worth retrying, or has used up the
 * schedule; the last failure is thrown as it was.
 */
export async function withRetries<T>(attempt: () => Promise<T>, schedule: RetrySchedule, options: RetryOptions = {}): Promise<T> {
  for (let tried = 1; ; tried += 1) {
    try {
      return await attempt();
    } catch (error) {
      if (options.signal?.aborted || !isWorthRetrying(error) || tried >= schedule.attempts) throw error;
      const wait = backoffDelay(schedule, tried);
      options.onRetry?.(error, tried, wait);
      await sleep(wait);
    }
  }
}
