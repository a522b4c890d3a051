import { createHash, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';

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

/**
 * Feeds a file's bytes to `hash` as they are read, without holding the file in memory. Taking
 * the hash rather than returning a digest lets one hash cover more than the file: a resumed
 * download goes on from its partial file, a source override covers a whole tree.
 */
export async function hashFileInto(file: string, hash: Hash): Promise<void> {
  await pipeline(createReadStream(file), async function* (chunks) {
    for await (const chunk of chunks) hash.update(chunk as Buffer);
  });
}

/** Several digests of a file in one streamed read (an apt index lists md5 and sha256). */
export async function hashFileAll<A extends 'md5' | 'sha1' | 'sha256'>(file: string, algorithms: readonly A[]): Promise<Record<A, string>> {
  const hashes = algorithms.map((algorithm) => [algorithm, createHash(algorithm)] as const);
  await pipeline(createReadStream(file), async function* (chunks) {
    for await (const chunk of chunks) for (const [, hash] of hashes) hash.update(chunk as Buffer);
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
