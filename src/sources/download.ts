import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { UserError, describeError } from '../errors.js';

export class ChecksumMismatch extends UserError {
  constructor(
    readonly url: string,
    readonly expected: string,
    readonly actual: string,
  ) {
    super(`checksum mismatch for ${url}: expected sha256 ${expected}, got ${actual} (the file was deleted)`);
  }
}

export interface DownloadProgress {
  readonly url: string;
  readonly transferred: number;
  readonly total: number | undefined;
}

export interface DownloadOptions {
  readonly signal?: AbortSignal | undefined;
  readonly onProgress?: ((progress: DownloadProgress) => void) | undefined;
  /** Notes for the task log (which URL was tried, what failed). */
  readonly log?: ((line: string) => void) | undefined;
}

async function exists(file: string): Promise<boolean> {
  return stat(file).then(
    () => true,
    () => false,
  );
}

/** Fetches one URL into `dest`, hashing while streaming; the file appears only once it verified. */
export async function downloadOne(url: string, sha256: string, dest: string, options: DownloadOptions = {}): Promise<void> {
  await mkdir(path.dirname(dest), { recursive: true });
  const part = `${dest}.part`;
  const hash = createHash('sha256');
  let transferred = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      hash.update(chunk);
      transferred += chunk.length;
      done(null, chunk);
    },
  });
  const { default: got } = await import('got');
  const request = got.stream(url, { timeout: { connect: 15_000, response: 30_000, read: 60_000 }, retry: { limit: 0 }, ...(options.signal ? { signal: options.signal } : {}) });
  request.on('downloadProgress', (p: { transferred: number; total?: number }) => options.onProgress?.({ url, transferred: p.transferred, total: p.total }));
  try {
    await pipeline(request, counter, createWriteStream(part));
  } catch (error) {
    await rm(part, { force: true });
    throw error;
  }
  const actual = hash.digest('hex');
  if (actual !== sha256) {
    await rm(part, { force: true });
    throw new ChecksumMismatch(url, sha256, actual);
  }
  await rename(part, dest);
}

/** Downloads in flight in this process, by destination: a second asker waits for the first. */
const inflight = new Map<string, Promise<string>>();

/**
 * Makes `dest` hold the file with checksum `sha256`, trying each URL in order. A file already in
 * the cache is trusted: it only got there after its checksum matched. Recipes that share a file
 * share one download, also when they ask at the same moment.
 */
export async function download(urls: readonly string[], sha256: string, dest: string, options: DownloadOptions = {}): Promise<'cached' | string> {
  if (await exists(dest)) return 'cached';
  const running = inflight.get(dest);
  if (running) {
    options.log?.('waiting for the same file being downloaded for another recipe');
    await running;
    return 'cached';
  }
  const attempt = downloadFirst(urls, sha256, dest, options).finally(() => inflight.delete(dest));
  inflight.set(dest, attempt);
  return attempt;
}

async function downloadFirst(urls: readonly string[], sha256: string, dest: string, options: DownloadOptions): Promise<string> {
  const failures: string[] = [];
  for (const url of urls) {
    try {
      options.log?.(`downloading ${url}`);
      await downloadOne(url, sha256, dest, options);
      options.log?.(`verified sha256 ${sha256}`);
      return url;
    } catch (error) {
      if (error instanceof ChecksumMismatch) throw error;
      if (options.signal?.aborted) throw error;
      options.log?.(`failed: ${url}: ${describeError(error)}`);
      failures.push(`${url}: ${describeError(error)}`);
    }
  }
  throw new UserError(`cannot download ${path.basename(dest)}: ${failures.join('; ')}`);
}
