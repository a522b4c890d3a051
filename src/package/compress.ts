import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import os from 'node:os';
import { PassThrough, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { zlib } from '../builtins.js';
import { HermitError, describeError } from '../errors.js';
import type { Compression } from '../formats/compression.js';

export class CompressError extends HermitError {}

/** xz's block size for preset 6 (three times its 8 MiB dictionary), stated so that it cannot drift. */
const XZ_BLOCK_SIZE = 3 * 8 * 1024 * 1024;

/**
 * The argv of the external compressors. They match what dpkg-deb 1.21 does in-process through
 * liblzma and libzstd, and the outputs are byte-identical to its members (the tests check):
 *  - xz: preset 6, CRC64, and the multi-threaded encoder. That encoder cuts the input into
 *    fixed 24 MiB blocks whatever the thread count, so its output is the same with 2 threads or
 *    32; only the single-threaded encoder (-T1) differs, hence `+1` on a one-core machine.
 *    --no-adjust: fail rather than silently fall back to the single-threaded encoder.
 *  - zstd: level 3, worker count as for xz (zstd's output does not depend on it). dpkg-deb
 *    hands libzstd a small member (control.tar) in one piece, which records its size in the
 *    frame header; a streamed member (data.tar) has no size there. `size` does the same here.
 */
export function compressorArgv(compression: 'xz' | 'zst', threads: number, size?: number): string[] {
  const count = Math.max(1, Math.floor(threads));
  if (compression === 'xz') {
    return ['xz', '--compress', '--stdout', '-6', '--check=crc64', `--block-size=${XZ_BLOCK_SIZE}`, `--threads=${count > 1 ? count : '+1'}`, '--no-adjust'];
  }
  return ['zstd', '--compress', '--stdout', '-3', `-T${count}`, '--quiet', '--no-progress', ...(size === undefined ? [] : [`--stream-size=${size}`])];
}

const HUGE_PAGES_TUNABLE = 'glibc.malloc.hugetlb';

/**
 * The environment of a compressor: ours, plus glibc's malloc told to ask for transparent huge
 * pages (GLIBC_TUNABLES glibc.malloc.hugetlb=1, glibc 2.35+). xz's match finder walks hash
 * tables of ~150 MiB at random, and where the kernel gives huge pages only on request (THP
 * "madvise", as here) the TLB misses of 4 KiB pages cost it about 5 % of its CPU time. The
 * bytes it writes do not change. The user's tunables are kept, and if they set this one, their
 * value wins; an older glibc or another libc ignores it.
 */
export function compressorEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const tunables = env.GLIBC_TUNABLES ?? '';
  if (tunables.split(':').some((setting) => setting.startsWith(`${HUGE_PAGES_TUNABLE}=`))) return env;
  return { ...env, GLIBC_TUNABLES: tunables === '' ? `${HUGE_PAGES_TUNABLE}=1` : `${tunables}:${HUGE_PAGES_TUNABLE}=1` };
}

/**
 * A compressor fed in chunks; `end` resolves to everything it produced, in memory (a Buffer), or
 * to nothing when it wrote them to a file.
 */
export interface Compressor<Output = Buffer> {
  write(chunk: Uint8Array): Promise<void>;
  end(): Promise<Output>;
  /** Stops the compressor after a failure elsewhere. */
  abort(): void;
}

/** Where compressed bytes go: gathered in memory, or straight into a file (a gcc-sized member). */
type Sink = { readonly file?: undefined } | { readonly file: string };

async function writeTo(stream: Writable, chunk: Uint8Array, failed: () => Error | undefined): Promise<void> {
  const error = failed();
  if (error) throw error;
  if (!stream.write(chunk)) {
    // Whichever event comes first, the other listener is removed: left behind, one per full
    // buffer, they pile up on the stream.
    const done = new AbortController();
    try {
      await Promise.race([once(stream, 'drain', { signal: done.signal }), once(stream, 'close', { signal: done.signal })]);
    } finally {
      done.abort();
    }
    const late = failed();
    if (late) throw late;
  }
}

/** A node stream (zlib, or nothing at all) whose output goes to the sink. */
function inProcess(stream: Writable & NodeJS.ReadableStream, sink: Sink): Compressor<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let error: Error | undefined;
  stream.on('error', (e: Error) => (error = e));
  const done = sink.file === undefined ? (stream.on('data', (chunk: Buffer) => chunks.push(chunk)), once(stream, 'end')) : pipeline(stream, createWriteStream(sink.file));
  // Reported by end(); a rejection nobody waits for yet must not end the process.
  done.catch(() => undefined);
  return {
    write: (chunk) => writeTo(stream, chunk, () => error),
    end: async () => {
      stream.end();
      await done;
      if (error) throw error;
      return sink.file === undefined ? Buffer.concat(chunks) : undefined;
    },
    abort: () => stream.destroy(),
  };
}

function identity(sink: Sink): Compressor<Buffer | undefined> {
  return inProcess(new PassThrough(), sink);
}

/** gzip through node's zlib at level 9: no name and mtime 0 in the header, so deterministic. */
function gzip(sink: Sink): Compressor<Buffer | undefined> {
  const { createGzip, constants } = zlib();
  return inProcess(createGzip({ level: 9, memLevel: 8, strategy: constants.Z_DEFAULT_STRATEGY }), sink);
}

function external(argv: readonly string[], env: NodeJS.ProcessEnv = process.env, sink: Sink = {}): Compressor<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let failure: Error | undefined;
  // execa is loaded on first use: the profile imports this module for its list of compressions.
  const started = import('execa').then(async ({ execa }) => {
    // Made first, so that a folder that cannot take it fails with why (a full or read-only
    // disk) rather than with the compressor's death when execa cannot open it.
    if (sink.file !== undefined) await writeFile(sink.file, '');
    // The output is gathered here rather than by execa: a decompressed data.tar can pass any
    // buffer limit, and the chunks are all that is wanted of it.
    const stdout = sink.file === undefined ? 'pipe' : { file: sink.file };
    const child = execa(argv[0]!, argv.slice(1), { stdin: 'pipe', stdout, stderr: 'pipe', env, extendEnv: false, buffer: { stdout: false }, reject: false });
    child.stdout?.on('data', (chunk: Buffer) => chunks.push(chunk));
    // A compressor that dies makes writes fail with EPIPE: report why it died instead.
    child.stdin.on('error', () => {});
    const exited = child.then((result) => {
      if (result.exitCode === undefined && result.signal === undefined) {
        if (!result.failed) return;
        // It never ran, or its pipes failed: there is no exit status to report.
        const reason = result.code === 'ENOENT' ? `${argv[0]} is not installed (needed to compress with it)` : `${argv[0]}: ${describeError(result.cause ?? result.shortMessage)}`;
        failure = new CompressError(reason, { cause: result.cause });
      } else if (result.exitCode !== 0) {
        const message = result.stderr.trim();
        const status = result.signal ? `was killed by ${result.signal}` : `exited with code ${result.exitCode}`;
        failure = new CompressError(`${argv.join(' ')} ${status}${message ? `: ${message}` : ''}`, { cause: result });
      }
    });
    return { child, exited };
  });
  // A start that failed is reported by the next write or end; it must not end the process first.
  started.catch(() => undefined);
  return {
    write: async (chunk) => writeTo((await started).child.stdin, chunk, () => failure),
    end: async () => {
      const { child, exited } = await started;
      child.stdin.end();
      await exited;
      if (failure) throw failure;
      return sink.file === undefined ? Buffer.concat(chunks) : undefined;
    },
    abort: () => {
      started.then(({ child }) => child.kill('SIGKILL')).catch(() => undefined);
    },
  };
}

export interface CompressorOptions {
  /** Threads for xz and zstd; defaults to the cores of this machine (like dpkg-deb). */
  readonly threads?: number;
  /** The input's total size, when it is known up front. */
  readonly size?: number;
}

function compressorFor(compression: Compression, options: CompressorOptions, sink: Sink): Compressor<Buffer | undefined> {
  const threads = options.threads ?? os.availableParallelism();
  switch (compression) {
    case 'none':
      return identity(sink);
    case 'gz':
      return gzip(sink);
    case 'xz':
    case 'zst':
      return external(compressorArgv(compression, threads, options.size), compressorEnv(process.env), sink);
  }
}

/** A compressor whose output is gathered in memory (small members, or when a Buffer is wanted). */
export function startCompressor(compression: Compression, options: CompressorOptions = {}): Compressor {
  const compressor = compressorFor(compression, options, {});
  return { ...compressor, end: async () => (await compressor.end())! };
}

/** A compressor whose output goes straight into `file`, never held in memory. */
export function startCompressorToFile(compression: Compression, file: string, options: CompressorOptions = {}): Compressor<void> {
  const compressor = compressorFor(compression, options, { file });
  return { ...compressor, end: async () => void (await compressor.end()) };
}

/** Compresses a whole buffer (small members such as control.tar). */
export async function compressBuffer(data: Uint8Array, compression: Compression, options: CompressorOptions = {}): Promise<Buffer> {
  const compressor = startCompressor(compression, { ...options, size: data.length });
  try {
    await compressor.write(data);
  } catch (error) {
    compressor.abort();
    throw error;
  }
  return compressor.end();
}

/** Decompresses a whole member (reading packages back). */
export async function decompressBuffer(data: Uint8Array, compression: Compression): Promise<Buffer> {
  if (compression === 'none') return Buffer.from(data);
  if (compression === 'gz') return zlib().gunzipSync(data);
  const decompressor = external(compression === 'xz' ? ['xz', '--decompress', '--stdout'] : ['zstd', '--decompress', '--stdout', '--quiet']);
  try {
    await decompressor.write(data);
  } catch (error) {
    decompressor.abort();
    throw error;
  }
  return (await decompressor.end())!;
}
