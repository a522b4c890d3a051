import { describe, expect, it } from 'vitest';
import { HttpStatusError, request } from '../../src/net/http.js';
import { backoffDelay, isTransient, isWorthRetrying, withRetries, type RetrySchedule } from '../../src/net/retry.js';

const QUICK: RetrySchedule = { attempts: 3, backoffMs: 1, factor: 2 };

/** An attempt that fails with each of `failures` in turn, then returns 'done'. */
function failing(...failures: unknown[]): { attempt: () => Promise<string>; calls: () => number } {
  let calls = 0;
  return {
    attempt: async () => {
      const failure = failures[calls];
      calls += 1;
      if (failure !== undefined) throw failure;
      return 'done';
    },
    calls: () => calls,
  };
}

const reset = Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });

describe('transient failures', () => {
  it('are server errors, request timeouts and rate limits, not refusals', () => {
    for (const status of [500, 502, 503, 504, 408, 429]) expect(isTransient(new HttpStatusError(status)), String(status)).toBe(true);
    for (const status of [400, 401, 403, 404, 405, 416]) expect(isTransient(new HttpStatusError(status)), String(status)).toBe(false);
  });

  it('are broken, refused and timed-out connections', () => {
    for (const code of ['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'ERR_STREAM_PREMATURE_CLOSE']) {
      expect(isTransient(Object.assign(new Error(code), { code })), code).toBe(true);
    }
    expect(isTransient(Object.assign(new Error('slow'), { name: 'TimeoutError' }))).toBe(true);
    expect(isTransient(Object.assign(new Error('cut'), { name: 'ReadError', code: 'ERR_SOMETHING_ELSE' }))).toBe(true);
  });

  it('are worth another attempt at the same URL, except a refused connection', () => {
    expect(isWorthRetrying(reset)).toBe(true);
    expect(isWorthRetrying(new HttpStatusError(503))).toBe(true);
    expect(isWorthRetrying(Object.assign(new Error('refused'), { code: 'ECONNREFUSED' }))).toBe(false);
    expect(isWorthRetrying(new HttpStatusError(404))).toBe(false);
  });

  it('are nothing else', () => {
    expect(isTransient(new Error('a bug'))).toBe(false);
    expect(isTransient(Object.assign(new Error('no such file'), { code: 'ENOENT' }))).toBe(false);
    expect(isTransient(new DOMException('stopped', 'AbortError'))).toBe(false);
    expect(isTransient(undefined)).toBe(false);
    expect(isTransient('ECONNRESET')).toBe(false);
  });
});

describe('backoff', () => {
  it('grows by the factor from the first wait', () => {
    expect([1, 2, 3].map((attempt) => backoffDelay({ attempts: 4, backoffMs: 1000, factor: 2 }, attempt))).toEqual([1000, 2000, 4000]);
    expect([1, 2].map((attempt) => backoffDelay({ attempts: 3, backoffMs: 250, factor: 4 }, attempt))).toEqual([250, 1000]);
  });
});

describe('withRetries', () => {
  it('retries transient failures and says what it retried', async () => {
    const { attempt, calls } = failing(new HttpStatusError(503), reset);
    const heard: Array<[string, number, number]> = [];
    const result = await withRetries(attempt, { attempts: 3, backoffMs: 1, factor: 3 }, { onRetry: (error, tried, wait) => heard.push([(error as Error).message, tried, wait]) });
    expect(result).toBe('done');
    expect(calls()).toBe(3);
    expect(heard).toEqual([
      ['HTTP 503', 1, 1],
      ['socket hang up', 2, 3],
    ]);
  });

  it('throws a failure that is not transient at once', async () => {
    const refused = new HttpStatusError(404);
    const { attempt, calls } = failing(refused);
    await expect(withRetries(attempt, QUICK)).rejects.toBe(refused);
    expect(calls()).toBe(1);
  });

  it('does not retry a refused connection: the next place is tried at once', async () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { code: 'ECONNREFUSED' });
    const { attempt, calls } = failing(refused);
    await expect(withRetries(attempt, QUICK)).rejects.toBe(refused);
    expect(calls()).toBe(1);

    // Through the HTTP client, on a loopback port nothing listens on, with the schedule of a
    // source download (waits of 1 s, 2 s and 4 s).
    let tries = 0;
    const started = Date.now();
    const error = await withRetries(
      () => {
        tries += 1;
        return request('http://127.0.0.1:9/');
      },
      { attempts: 4, backoffMs: 1000, factor: 2 },
    ).catch((e: unknown) => e);
    expect((error as { code?: string }).code).toBe('ECONNREFUSED');
    expect(tries).toBe(1);
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('gives up after the last attempt with the last failure', async () => {
    const last = new HttpStatusError(502);
    const { attempt, calls } = failing(new HttpStatusError(500), new HttpStatusError(503), last);
    await expect(withRetries(attempt, QUICK)).rejects.toBe(last);
    expect(calls()).toBe(QUICK.attempts);
  });

  it('stops once the signal is aborted', async () => {
    const controller = new AbortController();
    controller.abort();
    const { attempt, calls } = failing(reset);
    await expect(withRetries(attempt, QUICK, { signal: controller.signal })).rejects.toBe(reset);
    expect(calls()).toBe(1);
  });
});
