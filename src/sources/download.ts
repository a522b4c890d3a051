import { createHash, type Hash } from 'node:crypto';
import { closeSync, createReadStream, createWriteStream, openSync, writeSync } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { UserError, describeError } from '../errors.js';
import { withFileLock } from '../graph/lock.js';

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

async function hashFile(file: string, hash: Hash): Promise<void> {
  await pipeline(createReadStream(file), async function* (chunks) {
    for await (const chunk of chunks) hash.update(chunk as Buffer);
  });
}

/** The server answered with an error status. */
class HttpStatusError extends Error {
  constructor(readonly status: number) {
    super(`HTTP ${status}`);
  }
}

/** A failure worth another attempt at the same URL. */
export function isTransient(error: unknown): boolean {
  if (error instanceof HttpStatusError) return error.status >= 500 || error.status === 408 || error.status === 429;
  const e = error as { code?: string; name?: string };
  return (
    e.name === 'TimeoutError' ||
    e.name === 'ReadError' ||
    ['ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ECONNREFUSED', 'EAI_AGAIN', 'ERR_STREAM_PREMATURE_CLOSE', 'ENOTFOUND'].includes(e.code ?? '')
  );
}

function counter(hash: Hash, onBytes: (count: number) => void): Transform {
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      hash.update(chunk);
      onBytes(chunk.length);
      done(null, chunk);
    },
  });
}

/**
 * One attempt at one URL. Bytes go to `<dest>.part`, hashed as they stream; a `.part` left by an
 * interrupted attempt is resumed with a Range request (and restarted if the server ignores it).
 * Returns the sha256 of everything in the `.part`.
 */
async function attempt(url: string, part: string, options: DownloadOptions, timeoutMs: number): Promise<string> {
  const hash = createHash('sha256');
  if (url.startsWith('file:')) {
    let transferred = 0;
    await pipeline(
      createReadStream(fileURLToPath(url)),
      counter(hash, (n) => options.onProgress?.({ url, transferred: (transferred += n), total: undefined })),
      createWriteStream(part),
    );
    return hash.digest('hex');
  }
  const { default: got } = await import('got');
  let offset = (await sizeOf(part)) ?? 0;
  if (offset > 0) await hashFile(part, hash);
  const request = got.stream(url, {
    headers: offset > 0 ? { range: `bytes=${offset}-` } : {},
    timeout: { lookup: timeoutMs, connect: timeoutMs, response: timeoutMs, socket: timeoutMs },
    retry: { limit: 0 },
    throwHttpErrors: false,
    ...(options.signal ? { signal: options.signal } : {}),
  });
  const response = await new Promise<{ statusCode: number; headers: Record<string, string | string[] | undefined> }>((resolve, reject) => {
    request.once('response', resolve);
    request.once('error', reject);
  });
  if (response.statusCode === 416 && offset > 0) {
    // The .part already holds the whole file (the interruption came after the last byte).
    request.destroy();
    return hash.digest('hex');
  }
  if (response.statusCode >= 400) {
    request.destroy();
    throw new HttpStatusError(response.statusCode);
  }
  if (offset > 0 && response.statusCode !== 206) {
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
    for await (const chunk of request as AsyncIterable<Buffer>) {
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
    request.destroy();
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
  for (let tryNumber = 1; ; tryNumber++) {
    let actual: string;
    try {
      actual = await attempt(url, part, options, policy.timeoutMs);
    } catch (error) {
      if (options.signal?.aborted || !isTransient(error) || tryNumber >= policy.attempts) {
        // A partial file is kept only for a transient failure: the next run resumes it.
        if (!isTransient(error)) await rm(part, { force: true });
        throw error;
      }
      const wait = policy.backoffMs * 2 ** (tryNumber - 1);
      options.log?.(`attempt ${tryNumber} at ${url} failed (${describeError(error)}); retrying in ${wait}ms`);
      await new Promise((resolve) => setTimeout(resolve, wait));
      continue;
    }
    if (actual !== sha256) {
      await rm(part, { force: true });
      throw new ChecksumMismatch(url, sha256, actual);
    }
    await rename(part, dest);
    return;
  }
}

/** Downloads in flight in this process, by destination: a second asker waits for the first. */
const inflight = new Map<string, Promise<string>>();

/**
 * Makes `dest` hold the file with checksum `sha256`, trying each URL in order. A file already in
 * the cache is trusted: it only got there after its checksum matched. Recipes that share a file
 * share one download, also when they ask at the same moment (in this process or another one).
 * Returns the URL used, or 'cached'.
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
