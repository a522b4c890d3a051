import { createHash } from 'node:crypto';
import { closeSync, createReadStream, createWriteStream, openSync, writeSync } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { UserError, describeError } from '../errors.js';
import { withFileLock } from '../process/lock.js';
import { HashingStream, hashFile, hashFileInto } from '../hash.js';
import { HttpStatusError, openStream } from '../net/http.js';
import { isTransient, withRetries } from '../net/retry.js';

/** The bytes did not match the pinned checksum: a hard error, never retried elsewhere. */
export class ChecksumMismatch extends UserError {
  constructor(
    readonly url: string,
    readonly expected: string,
    readonly actual: string,
  ) {
    super(`checksum mismatch for ${url}: expected sha256 ${expected}, got ${actual} (the bad file was deleted)`);
  }
}

/** Every place was tried and none gave the file. */
export class DownloadFailed extends UserError {}

export interface DownloadProgress {
  readonly url: string;
  readonly transferred: number;
  readonly total: number | undefined;
}

export interface RetryPolicy {
  /** Attempts per URL for transient failures (5xx, resets, timeouts). */
  readonly attempts: number;
  /** Wait before the second attempt; doubled for each later one. */
  readonly backoffMs: number;
  /** No connection / no response headers / no body bytes for this long is a timeout. */
  readonly timeoutMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 4, backoffMs: 1000, timeoutMs: 30_000 };

export const TIMEOUT_VARIABLE = 'HERMIT_DOWNLOAD_TIMEOUT';

/**
 * The policy with $HERMIT_DOWNLOAD_TIMEOUT (seconds) as its timeout: a slow link needs longer
 * than 30 s, and a test of a stalling server needs less to end in seconds, not minutes.
 */
export function retryFromEnvironment(env: NodeJS.ProcessEnv): RetryPolicy {
  const text = env[TIMEOUT_VARIABLE];
  if (text === undefined || text === '') return DEFAULT_RETRY;
  const seconds = Number(text);
  if (!(seconds > 0)) throw new UserError(`${TIMEOUT_VARIABLE} must be a number of seconds above 0, not ${JSON.stringify(text)}`);
  return { ...DEFAULT_RETRY, timeoutMs: seconds * 1000 };
}

export interface DownloadOptions {
  readonly signal?: AbortSignal | undefined;
  readonly onProgress?: ((progress: DownloadProgress) => void) | undefined;
  /** Notes for the task log: which URL was tried, what failed, what was resumed. */
  readonly log?: ((line: string) => void) | undefined;
  readonly retry?: RetryPolicy | undefined;
}

async function sizeOf(file: string): Promise<number | undefined> {
  return stat(file).then(
    (s) => s.size,
    () => undefined,
  );
}

/**
 * One attempt at one URL. Bytes go to `<dest>.part`, hashed as they stream; a `.part` left by an
 * interrupted attempt is resumed with a Range request (and restarted if the server ignores it).
 * Returns the sha256 of everything in the `.part`.
 */
async function attempt(url: string, part: string, options: DownloadOptions, timeoutMs: number): Promise<string> {
  if (url.startsWith('file:')) {
    const hasher = new HashingStream((transferred) => options.onProgress?.({ url, transferred, total: undefined }));
    await pipeline(createReadStream(fileURLToPath(url)), hasher, createWriteStream(part));
    return hasher.digest();
  }
  const hash = createHash('sha256');
  let offset = (await sizeOf(part)) ?? 0;
  if (offset > 0) await hashFileInto(part, hash);
  const response = await openStream(url, {
    headers: offset > 0 ? { range: `bytes=${offset}-` } : {},
    timeout: { lookup: timeoutMs, connect: timeoutMs, response: timeoutMs, socket: timeoutMs },
    signal: options.signal,
  });
  const body = response.body;
  if (response.status === 416 && offset > 0) {
    // The .part already holds the whole file (the interruption came after the last byte).
    body.destroy();
    return hash.digest('hex');
  }
  if (response.status >= 400) {
    body.destroy();
    throw new HttpStatusError(response.status);
  }
  if (offset > 0 && response.status !== 206) {
    options.log?.(`${url} ignored the range request: starting over`);
    offset = 0;
    hash.destroy();
    return attemptFromScratch();
  }
  if (offset > 0) options.log?.(`resuming ${url} at byte ${offset}`);
  const total = Number(response.headers['content-length']) + offset || undefined;
  let transferred = offset;
  // Every chunk is written as it arrives, synchronously: a connection that breaks leaves all the
  // bytes received so far in the .part for the next attempt to resume from (a write stream would
  // drop what it still buffered when the pipeline fails).
  const fd = openSync(part, offset > 0 ? 'a' : 'w');
  try {
    for await (const chunk of body as AsyncIterable<Buffer>) {
      writeSync(fd, chunk);
      hash.update(chunk);
      transferred += chunk.length;
      options.onProgress?.({ url, transferred, total });
    }
  } finally {
    closeSync(fd);
  }
  return hash.digest('hex');

  async function attemptFromScratch(): Promise<string> {
    body.destroy();
    await rm(part, { force: true });
    return attempt(url, part, options, timeoutMs);
  }
}

/**
 * Downloads one URL into `dest` with bounded retries on transient failures, resuming the partial
 * file each time. The file appears at `dest` only after its sha256 matched.
 */
export async function downloadOne(url: string, sha256: string, dest: string, options: DownloadOptions = {}): Promise<void> {
  const policy = options.retry ?? DEFAULT_RETRY;
  await mkdir(path.dirname(dest), { recursive: true });
  const part = `${dest}.part`;
  let actual: string;
  try {
    actual = await withRetries(() => attempt(url, part, options, policy.timeoutMs), { attempts: policy.attempts, backoffMs: policy.backoffMs, factor: 2 }, {
      signal: options.signal,
      onRetry: (error, tried, wait) => options.log?.(`attempt ${tried} at ${url} failed (${describeError(error)}); retrying in ${wait}ms`),
    });
  } catch (error) {
    // A partial file is kept only for a transient failure or a cancel (Ctrl-C, SIGTERM): the next
    // run resumes it. Other failures (a 404, a full disk) make its bytes no one's.
    if (!isTransient(error) && !options.signal?.aborted) await rm(part, { force: true });
    throw error;
  }
  if (actual !== sha256) {
    await rm(part, { force: true });
    throw new ChecksumMismatch(url, sha256, actual);
  }
  await rename(part, dest);
}

/**
 * Hashes a file of the download cache again before it is used, and removes it when it no longer
 * has `sha256`: it was verified on arrival, but a disk or a hand can change it since. Runs under
 * the lock its download takes, so a copy just downloaded again is never the one removed. Returns
 * the sha256 the file had, or undefined when there is no such file.
 */
export async function recheck(file: string, sha256: string): Promise<string | undefined> {
  return withFileLock(`${file}.lock`, async () => {
    if ((await sizeOf(file)) === undefined) return undefined;
    const actual = await hashFile(file);
    if (actual !== sha256) await rm(file, { force: true });
    return actual;
  });
}

/** What to say of a file `recheck` found changed and removed. */
export function changedInCache(file: string, expected: string, actual: string): string {
  return `${file} has sha256 ${actual}, not the pinned ${expected}: it changed in the cache and was removed`;
}

/** Downloads in flight in this process, by destination: a second asker waits for the first. */
const inflight = new Map<string, Promise<string>>();

/**
 * Makes `dest` hold the file with checksum `sha256`, trying each URL in order. A file already in
 * the cache is taken as it is (it only got there after its checksum matched); whoever uses its
 * bytes checks them again first (`recheck`). Recipes that share a file share one download, also
 * when they ask at the same moment (in this process or another one). Returns the URL used, or
 * 'cached'.
 */
export async function download(urls: readonly string[], sha256: string, dest: string, options: DownloadOptions = {}): Promise<string> {
  if ((await sizeOf(dest)) !== undefined) return 'cached';
  const running = inflight.get(dest);
  if (running) {
    options.log?.('waiting for the same file, being downloaded for another recipe');
    await running;
    return 'cached';
  }
  const work = withFileLock(`${dest}.lock`, async () => {
    if ((await sizeOf(dest)) !== undefined) return 'cached';
    return downloadFirst(urls, sha256, dest, options);
  }).finally(() => inflight.delete(dest));
  inflight.set(dest, work);
  return work;
}

async function downloadFirst(urls: readonly string[], sha256: string, dest: string, options: DownloadOptions): Promise<string> {
  const failures: string[] = [];
  for (const url of urls) {
    try {
      options.log?.(`trying ${url}`);
      await downloadOne(url, sha256, dest, options);
      options.log?.(`verified sha256 ${sha256}`);
      return url;
    } catch (error) {
      if (error instanceof ChecksumMismatch || options.signal?.aborted) throw error;
      options.log?.(`failed: ${url}: ${describeError(error)}`);
      failures.push(`${url}: ${describeError(error)}`);
    }
  }
  throw new DownloadFailed(`cannot download ${path.basename(dest)} from any of ${urls.length} places (${failures.join('; ')})`);
}
