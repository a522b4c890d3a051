import { createHash, type Hash } from 'node:crypto';
import { open, type FileHandle } from 'node:fs/promises';
import { Transform } from 'node:stream';

/** The hex digest of bytes in memory; apt indexes and md5sums also ask for md5 and sha1. */
export function digestHex(algorithm: 'md5' | 'sha1' | 'sha256', data: string | Uint8Array): string {
  return createHash(algorithm).update(data).digest('hex');
}

/** A digest fed piece by piece (a file streamed into a package). */
export function startHash(algorithm: 'md5' | 'sha1' | 'sha256'): Hash {
  return createHash(algorithm);
}

export function sha256Hex(data: string | Uint8Array): string {
  return digestHex('sha256', data);
}

/** How much of a file is read at a time when it is hashed. */
const READ_SIZE = 1024 * 1024;

/**
 * Hands a file's bytes to `use`, a piece at a time, through one buffer that is filled again for
 * the next piece: a stream allocates a new one per 64 KiB, which node frees only at a later
 * garbage collection, so hashing an 80 MB tarball left tens of MiB of them waiting. `use` must be
 * done with a piece when it returns.
 */
async function readPieces(file: string, use: (piece: Buffer) => void | Promise<void>): Promise<void> {
  const handle = await open(file, 'r');
  try {
    const buffer = Buffer.allocUnsafeSlow(READ_SIZE);
    for (;;) {
      const { bytesRead } = await handle.read(buffer, 0, READ_SIZE, null);
      if (bytesRead === 0) return;
      await use(buffer.subarray(0, bytesRead));
    }
  } finally {
    await handle.close();
  }
}

/**
 * Appends a file's bytes to `out` and feeds them to `hash` on the way, through one buffer (see
 * readPieces); a package's data member is copied into the .deb so. Returns how many were copied.
 */
export async function copyHashed(file: string, out: FileHandle, hash: Hash): Promise<number> {
  let copied = 0;
  await readPieces(file, async (piece) => {
    hash.update(piece);
    await out.write(piece);
    copied += piece.length;
  });
  return copied;
}

/**
 * Feeds a file's bytes to `hash` as they are read, without holding the file in memory. Taking
 * the hash rather than returning a digest lets one hash cover more than the file: a resumed
 * download goes on from its partial file, a source override covers a whole tree.
 */
export async function hashFileInto(file: string, hash: Hash): Promise<void> {
  await readPieces(file, (piece) => void hash.update(piece));
}

/** Several digests of a file in one read (an apt index lists md5 and sha256). */
export async function hashFileAll<A extends 'md5' | 'sha1' | 'sha256'>(file: string, algorithms: readonly A[]): Promise<Record<A, string>> {
  const hashes = algorithms.map((algorithm) => [algorithm, createHash(algorithm)] as const);
  await readPieces(file, (piece) => {
    for (const [, hash] of hashes) hash.update(piece);
  });
  return Object.fromEntries(hashes.map(([algorithm, hash]) => [algorithm, hash.digest('hex')])) as Record<A, string>;
}

/** The sha256 of a file, streamed. */
export async function hashFile(file: string): Promise<string> {
  const hash = createHash('sha256');
  await hashFileInto(file, hash);
  return hash.digest('hex');
}

/**
 * Passes bytes through while hashing and counting them, so that what is written somewhere is
 * verified on the way. `onBytes` hears the running count after each chunk (for progress).
 */
export class HashingStream extends Transform {
  private readonly hash = createHash('sha256');
  bytes = 0;
  constructor(onBytes?: (bytes: number) => void) {
    super({
      transform: (chunk: Buffer, _encoding, done) => {
        this.hash.update(chunk);
        this.bytes += chunk.length;
        onBytes?.(this.bytes);
        done(null, chunk);
      },
    });
  }
  digest(): string {
    return this.hash.digest('hex');
  }
}
