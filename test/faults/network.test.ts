import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { failsWithOneLine, makeBlobFixture, succeeds, releaseHeldResponses, sha256, sizeOf, type BlobFixture, type ServeMode } from '../support/faults.js';
import { tempDir } from '../support/tmp.js';

// Held answers first, or closing the servers (test/support/http.ts) waits on them.
afterEach(() => releaseHeldResponses());

interface Faulted {
  readonly fixture: BlobFixture;
  readonly cache: string;
  readonly args: string[];
}

async function faulted(mode: ServeMode): Promise<Faulted> {
  const root = await tempDir();
  const fixture = await makeBlobFixture(root);
  fixture.mode = mode;
  const cache = path.join(root, 'cache');
  return { fixture, cache, args: ['--toolchain', fixture.dir, '--work', path.join(root, 'work'), '--cache', cache] };
}

/** Runs `fetch`, expecting it to fail with exactly one error line, which it returns. */
async function failedFetch({ args }: Faulted, env: Record<string, string> = {}): Promise<string> {
  return (await failsWithOneLine([...args, 'fetch'], env)).line;
}

/** With the server good again, `fetch` succeeds and the cache holds the verified file. */
async function recovers(run: Faulted): Promise<void> {
  run.fixture.mode = 'good';
  await succeeds([...run.args, 'fetch']);
  const file = run.fixture.cached(run.cache);
  expect(sha256(readFileSync(file))).toBe(sha256(run.fixture.tarball));
  expect(sizeOf(`${file}.part`)).toBeUndefined();
  await succeeds([...run.args, 'build']);
}

describe('network faults', () => {
  it('a server that accepts and then sends nothing: the fetch times out within its bound, naming the file and URL', async () => {
    const run = await faulted('stall');
    const started = Date.now();
    // 1 s per attempt, 4 attempts, 1+2+4 s between them: about 11 s.
    const line = await failedFetch(run, { HERMIT_DOWNLOAD_TIMEOUT: '1' });
    expect(Date.now() - started).toBeLessThan(30_000);
    expect(line).toBe(`error: blob: fetch: cannot download blob-1.0.tar from any of 1 places (${run.fixture.url}: Timeout awaiting 'socket' for 1000ms)`);
    expect(run.fixture.ranges).toHaveLength(4);
    await recovers(run);
  }, 60_000);

  it('a connection reset half way through the body: retried, the partial file kept, and the rerun resumes it', async () => {
    const run = await faulted('reset');
    const line = await failedFetch(run);
    expect(line).toMatch(new RegExp(`^error: blob: fetch: cannot download blob-1\\.0\\.tar from any of 1 places \\(${run.fixture.url}: `));
    const part = `${run.fixture.cached(run.cache)}.part`;
    // What arrived before the reset, at most the half the server sent (a reset drops what was in flight).
    const kept = sizeOf(part) ?? 0;
    expect(kept).toBeGreaterThan(0);
    expect(kept).toBeLessThanOrEqual(Math.floor(run.fixture.tarball.length / 2));
    await recovers(run);
    expect(run.fixture.ranges.at(-1)).toBe(`bytes=${kept}-`);
  });

  it('a body shorter than its Content-Length: not taken as the file, and the rerun resumes it', async () => {
    const run = await faulted('short');
    const line = await failedFetch(run);
    expect(line).toMatch(new RegExp(`^error: blob: fetch: cannot download blob-1\\.0\\.tar from any of 1 places \\(${run.fixture.url}: `));
    expect(sizeOf(run.fixture.cached(run.cache))).toBeUndefined();
    await recovers(run);
    expect(run.fixture.ranges.at(-1)).toBe(`bytes=${run.fixture.tarball.length - 100}-`);
  });

  it('a body with the wrong checksum: one line with both checksums, the bad bytes deleted, the rerun fetches afresh', async () => {
    const run = await faulted('wrong');
    const line = await failedFetch(run);
    expect(line).toMatch(new RegExp(`^error: blob: fetch: checksum mismatch for ${run.fixture.url}: expected sha256 ${sha256(run.fixture.tarball)}, got [0-9a-f]{64} \\(the bad file was deleted\\)$`));
    // Not retried: other bytes from the same place are no better.
    expect(run.fixture.ranges).toHaveLength(1);
    expect(sizeOf(`${run.fixture.cached(run.cache)}.part`)).toBeUndefined();
    await recovers(run);
    expect(run.fixture.ranges.at(-1)).toBe('');
  });
});
