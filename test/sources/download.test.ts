import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, writeFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { describe, expect, it } from 'vitest';
import { ChecksumMismatch, DEFAULT_RETRY, DownloadFailed, download, recheck, retryFromEnvironment, type RetryPolicy } from '../../src/sources/download.js';
import { serve } from '../support/http.js';
import { tempDir } from '../support/tmp.js';

const BODY = Buffer.from('x'.repeat(300_000) + 'the end');
const SHA = createHash('sha256').update(BODY).digest('hex');
const FAST: RetryPolicy = { attempts: 3, backoffMs: 10, timeoutMs: 500 };

/** Answers a Range request as a server that supports resuming does. */
function sendFrom(req: IncomingMessage, res: ServerResponse): void {
  const start = Number(/bytes=(\d+)-/.exec(req.headers.range ?? '')?.[1] ?? 0);
  if (start === 0) {
    res.writeHead(200, { 'content-length': BODY.length }).end(BODY);
    return;
  }
  res.writeHead(206, { 'content-length': BODY.length - start, 'content-range': `bytes ${start}-${BODY.length - 1}/${BODY.length}` });
  res.end(BODY.subarray(start));
}

async function destIn(): Promise<string> {
  return path.join(await tempDir(), 'downloads', SHA, 'file.tar.gz');
}

describe('downloads', () => {
  it('falls back from a dead primary to a mirror', async () => {
    const mirror = await serve({ '/file.tar.gz': BODY });
    const dest = await destIn();
    const lines: string[] = [];
    const used = await download(['http://127.0.0.1:9/file.tar.gz', `${mirror.url}/file.tar.gz`], SHA, dest, { retry: FAST, log: (l) => lines.push(l) });
    expect(used).toBe(`${mirror.url}/file.tar.gz`);
    expect(readFileSync(dest).equals(BODY)).toBe(true);
    expect(lines.some((l) => l.startsWith('failed: http://127.0.0.1:9/'))).toBe(true);
  });

  it('retries a 503 and gets the file on the next attempt', async () => {
    let calls = 0;
    const server = await serve({
      '/file.tar.gz': (_req, res) => {
        calls += 1;
        if (calls === 1) res.writeHead(503).end('busy');
        else res.writeHead(200).end(BODY);
      },
    });
    const dest = await destIn();
    await download([`${server.url}/file.tar.gz`], SHA, dest, { retry: FAST });
    expect(calls).toBe(2);
    expect(readFileSync(dest).equals(BODY)).toBe(true);
  });

  it('does not retry a 404 and says what failed where', async () => {
    const server = await serve({});
    const dest = await destIn();
    const error = await download([`${server.url}/file.tar.gz`], SHA, dest, { retry: FAST }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DownloadFailed);
    expect((error as Error).message).toMatch(/cannot download file\.tar\.gz from any of 1 places .*HTTP 404/);
    expect(server.requests).toHaveLength(1);
  });

  it('resumes a body cut in the middle with a Range request', async () => {
    const ranges: string[] = [];
    const server = await serve({
      '/file.tar.gz': (req, res) => {
        const range = req.headers.range;
        ranges.push(range ?? 'none');
        if (!range) {
          res.writeHead(200, { 'content-length': BODY.length });
          // A clean close (FIN) after the first part: the client gets those bytes, then a short body.
          res.write(BODY.subarray(0, 100_000), () => res.socket?.end());
          return;
        }
        sendFrom(req, res);
      },
    });
    const dest = await destIn();
    await download([`${server.url}/file.tar.gz`], SHA, dest, { retry: FAST });
    expect(readFileSync(dest).equals(BODY)).toBe(true);
    expect(ranges[0]).toBe('none');
    expect(ranges[1]).toMatch(/^bytes=\d+-$/);
    expect(Number(/bytes=(\d+)-/.exec(ranges[1]!)![1])).toBeGreaterThan(0);
  });

  it('starts over when the server ignores the Range request', async () => {
    const dest = await destIn();
    mkdirSync(path.dirname(dest), { recursive: true });
    writeFileSync(`${dest}.part`, 'garbage from an older attempt');
    const server = await serve({ '/file.tar.gz': BODY });
    await download([`${server.url}/file.tar.gz`], SHA, dest, { retry: FAST });
    expect(readFileSync(dest).equals(BODY)).toBe(true);
  });

  it('treats a wrong checksum as a hard error naming URL, expected and actual, and deletes the bytes', async () => {
    const bad = Buffer.from('not the release');
    const server = await serve({ '/file.tar.gz': bad });
    const mirror = await serve({ '/file.tar.gz': BODY });
    const dest = await destIn();
    const error = await download([`${server.url}/file.tar.gz`, `${mirror.url}/file.tar.gz`], SHA, dest, { retry: FAST }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ChecksumMismatch);
    const actual = createHash('sha256').update(bad).digest('hex');
    expect((error as Error).message).toBe(
      `checksum mismatch for ${server.url}/file.tar.gz: expected sha256 ${SHA}, got ${actual} (the bad file was deleted)`,
    );
    expect(readdirSync(path.dirname(dest))).toEqual([]);
    expect(mirror.requests).toHaveLength(0);
  });

  it('times out a stalled server and retries', async () => {
    let calls = 0;
    const server = await serve({
      '/file.tar.gz': (req, res) => {
        calls += 1;
        if (calls === 1) {
          res.writeHead(200, { 'content-length': BODY.length });
          res.write(BODY.subarray(0, 10)); // then nothing: the socket goes idle
          return;
        }
        sendFrom(req, res);
      },
    });
    const dest = await destIn();
    const started = Date.now();
    const lines: string[] = [];
    await download([`${server.url}/file.tar.gz`], SHA, dest, { retry: FAST, log: (l) => lines.push(l) });
    expect(calls).toBe(2);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(lines.join('\n')).toMatch(/attempt 1 at .* failed \(.*[Tt]imeout.*\); retrying/);
  });

  it('gives up after a bounded number of attempts', async () => {
    const server = await serve({ '/file.tar.gz': (_req, res) => res.writeHead(500).end() });
    const dest = await destIn();
    await expect(download([`${server.url}/file.tar.gz`], SHA, dest, { retry: FAST })).rejects.toThrow(DownloadFailed);
    expect(server.requests).toHaveLength(FAST.attempts);
  });

  it('downloads a file once for concurrent askers', async () => {
    const server = await serve({
      '/file.tar.gz': (_req, res) => {
        setTimeout(() => res.writeHead(200).end(BODY), 100);
      },
    });
    const dest = await destIn();
    const results = await Promise.all([1, 2, 3].map(() => download([`${server.url}/file.tar.gz`], SHA, dest, { retry: FAST })));
    expect(results.filter((r) => r === 'cached')).toHaveLength(2);
    expect(server.requests).toHaveLength(1);
  });

  it('takes files from a folder premirror through file:// URLs', async () => {
    const dir = await tempDir();
    writeFileSync(path.join(dir, 'file.tar.gz'), BODY);
    const dest = await destIn();
    const used = await download([`${pathToFileURL(dir).href}/file.tar.gz`, 'http://127.0.0.1:9/never'], SHA, dest, { retry: FAST });
    expect(used).toMatch(/^file:/);
    expect(existsSync(dest)).toBe(true);
  });

  it('rechecks a cached file before use: kept when intact, removed when its bytes changed', async () => {
    const dest = await destIn();
    expect(await recheck(dest, SHA)).toBeUndefined();
    mkdirSync(path.dirname(dest), { recursive: true });
    writeFileSync(dest, BODY);
    expect(await recheck(dest, SHA)).toBe(SHA);
    expect(existsSync(dest)).toBe(true);
    writeFileSync(dest, 'other bytes');
    expect(await recheck(dest, SHA)).toBe(createHash('sha256').update('other bytes').digest('hex'));
    expect(existsSync(dest)).toBe(false);
    expect(readdirSync(path.dirname(dest))).toEqual([]);
  });
});

describe('the download timeout from the environment', () => {
  it('takes $HERMIT_DOWNLOAD_TIMEOUT as seconds and refuses what is not a positive number', () => {
    expect(retryFromEnvironment({})).toEqual(DEFAULT_RETRY);
    expect(retryFromEnvironment({ HERMIT_DOWNLOAD_TIMEOUT: '' })).toEqual(DEFAULT_RETRY);
    expect(retryFromEnvironment({ HERMIT_DOWNLOAD_TIMEOUT: '2.5' })).toEqual({ ...DEFAULT_RETRY, timeoutMs: 2500 });
    for (const bad of ['0', '-1', 'soon']) {
      expect(() => retryFromEnvironment({ HERMIT_DOWNLOAD_TIMEOUT: bad })).toThrow(`HERMIT_DOWNLOAD_TIMEOUT must be a number of seconds above 0, not "${bad}"`);
    }
  });
});
