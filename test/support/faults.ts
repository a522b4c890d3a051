import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import { expect } from 'vitest';
import { runCli, type CliResult } from './cli.js';
import { serve, type TestServer } from './http.js';

/**
 * What the fault tests share: a one-recipe toolchain built from a tarball on a loopback server
 * whose behaviour the test switches (good, or one fault at a time), small mounts, and process
 * checks. Everything is made per test, in the test's temp folder.
 */

export const sha256 = (data: Buffer): string => createHash('sha256').update(data).digest('hex');

/** How the tarball's server answers a GET; `good` honours Range requests as a real server does. */
export type ServeMode = 'good' | 'stall' | 'reset' | 'short' | 'wrong' | 'half-then-hang';

export interface BlobFixture {
  readonly dir: string;
  readonly server: TestServer;
  readonly tarball: Buffer;
  readonly url: string;
  /** Where the verified tarball lands in a cache folder. */
  cached(cacheDir: string): string;
  /** The server's behaviour from the next request on. */
  mode: ServeMode;
  /** Range headers of the requests seen, '' for none. */
  readonly ranges: string[];
  /** Resolves once a `half-then-hang` answer has sent its first half. */
  halfSent: Promise<void>;
}

const HOLDERS: ServerResponse[] = [];

/**
 * `blob` 1.0: a tarball of `size` bytes of random data (a download of more than one chunk),
 * unpacked, copied by its build and installed by its install. `recipe` is appended to the recipe
 * (more steps, a package section).
 */
export async function makeBlobFixture(root: string, options: { size?: number; recipe?: string } = {}): Promise<BlobFixture> {
  const upstream = path.join(root, 'upstream/blob-1.0');
  mkdirSync(upstream, { recursive: true });
  const size = options.size ?? 256 * 1024;
  writeFileSync(path.join(upstream, 'data'), randomBytes(size));
  // Random data does not compress: a plain tar, whose size is about the data's.
  const file = 'blob-1.0.tar';
  execFileSync('tar', ['--sort=name', '--mtime=2023-01-01 00:00Z', '--owner=0', '--group=0', '--numeric-owner', '-cf', file, 'blob-1.0'], { cwd: path.dirname(upstream) });
  const tarball = readFileSync(path.join(path.dirname(upstream), file));

  let releaseHalf: () => void = () => undefined;
  const ranges: string[] = [];
  const fixture: BlobFixture = {
    dir: path.join(root, 'toolchain'),
    server: undefined as unknown as TestServer,
    tarball,
    url: '',
    cached: (cacheDir) => path.join(cacheDir, 'downloads', sha256(tarball), file),
    mode: 'good',
    ranges,
    halfSent: new Promise<void>((resolve) => (releaseHalf = resolve)),
  };
  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    ranges.push(req.headers.range ?? '');
    const half = Math.floor(tarball.length / 2);
    switch (fixture.mode) {
      case 'good': {
        const start = Number(/^bytes=(\d+)-$/.exec(req.headers.range ?? '')?.[1] ?? 0);
        const body = tarball.subarray(start);
        const headers = { 'content-length': body.length, ...(start > 0 ? { 'content-range': `bytes ${start}-${tarball.length - 1}/${tarball.length}` } : {}) };
        res.writeHead(start > 0 ? 206 : 200, headers).end(body);
        return;
      }
      case 'stall':
        // Accepts and reads the request, then never answers.
        HOLDERS.push(res);
        return;
      case 'reset':
        // Always the whole file from the start (Range ignored), broken off half way.
        res.writeHead(200, { 'content-length': tarball.length });
        res.write(tarball.subarray(0, half), () => res.socket?.resetAndDestroy());
        return;
      case 'short':
        // Content-Length promises the whole file; the connection closes cleanly 100 bytes early.
        res.writeHead(200, { 'content-length': tarball.length });
        res.write(tarball.subarray(0, tarball.length - 100), () => res.socket?.end());
        return;
      case 'wrong': {
        const wrong = Buffer.from(tarball);
        const last = wrong.length - 1;
        wrong.writeUInt8(wrong.readUInt8(last) ^ 0xff, last);
        res.writeHead(200, { 'content-length': wrong.length }).end(wrong);
        return;
      }
      case 'half-then-hang':
        res.writeHead(200, { 'content-length': tarball.length });
        res.write(tarball.subarray(0, half), () => releaseHalf());
        HOLDERS.push(res);
        return;
    }
  };
  const server = await serve({ [`/${file}`]: handler });
  Object.assign(fixture, { server, url: `${server.url}/${file}` });

  mkdirSync(path.join(fixture.dir, 'recipes'), { recursive: true });
  writeFileSync(path.join(fixture.dir, 'toolchain.yaml'), 'target: x86_64-hermit\nprefix: /opt/hermit\nsource-date-epoch: 1672531200\n');
  writeFileSync(
    path.join(fixture.dir, 'recipes/blob.yaml'),
    `name: blob
version: "1.0"
summary: a blob of data
license: MIT
source:
  url: ${fixture.url}
  sha256: ${sha256(tarball)}
build:
  - [cp, "{src}/data", data]
install:
  - [install, -D, -m, "644", data, "{image}{prefix}/share/blob/data"]
${options.recipe ?? ''}`,
  );
  return fixture;
}

/** Ends the answers a stalling server holds, so that closing it does not wait for them. */
export function releaseHeldResponses(): void {
  for (const res of HOLDERS.splice(0)) res.socket?.destroy();
}

export interface Mount {
  readonly dir: string;
  remount(options: string): void;
  unmount(): void;
}

/**
 * A tmpfs of `sizeKiB` at `dir`, or the reason it cannot be had (not root, no mount in a
 * container): the tests that need one skip with that reason.
 */
export function mountTmpfs(dir: string, sizeKiB: number): Mount | string {
  mkdirSync(dir, { recursive: true });
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${sizeKiB}k,mode=0755`, 'tmpfs', dir], { stdio: 'pipe' });
  } catch (error) {
    return `cannot mount a tmpfs (${(error as Error).message.split('\n')[0]})`;
  }
  let mounted = true;
  return {
    dir,
    remount: (options) => execFileSync('mount', ['-o', `remount,${options}`, dir], { stdio: 'pipe' }),
    unmount: () => {
      if (!mounted) return;
      // Lazy: a process a failed test left in the folder must not keep the mount forever.
      execFileSync('umount', ['-l', dir], { stdio: 'pipe' });
      mounted = false;
    },
  };
}

export async function waitFor(check: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`${what} did not happen within ${timeoutMs}ms`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

export const fileExists = (file: string): (() => boolean) => () => existsSync(file);

export function sizeOf(file: string): number | undefined {
  return existsSync(file) ? statSync(file).size : undefined;
}

/** The `error:` lines of a run's stderr: a fault must end in exactly one. */
export function errorLines(stderr: string): string[] {
  return stderr.split('\n').filter((line) => line.startsWith('error: '));
}

/** Runs the CLI into a fault: exit status 1 and exactly one `error:` line, returned with the details. */
export async function failsWithOneLine(args: readonly string[], env: Record<string, string> = {}): Promise<{ line: string; stderr: string }> {
  const result = await runCli(args, env);
  expect(result.exitCode, result.stderr).toBe(1);
  const errors = errorLines(result.stderr);
  expect(errors, result.stderr).toHaveLength(1);
  return { line: errors[0]!, stderr: result.stderr };
}

/** Runs the CLI once the fault is gone: exit status 0 and nothing on stderr. */
export async function succeeds(args: readonly string[]): Promise<CliResult> {
  const result = await runCli(args);
  expect(result.stderr).toBe('');
  expect(result.exitCode).toBe(0);
  return result;
}
