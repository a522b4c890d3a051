import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { Compression } from '../../src/formats/compression.js';
import { CompressError, compressBuffer, decompressBuffer, startCompressor } from '../../src/package/compress.js';

/** Bytes that compress, but not to nothing: a repeated random block. */
const DATA = Buffer.concat(Array.from({ length: 64 }, () => randomBytes(4096)).flatMap((block) => [block, block]));

describe('compressors', () => {
  for (const compression of ['xz', 'zst', 'gz', 'none'] as const satisfies readonly Compression[]) {
    it(`${compression}: streams chunks through and reads them back`, async () => {
      const compressor = startCompressor(compression, { threads: 1 });
      for (let at = 0; at < DATA.length; at += 100_000) await compressor.write(DATA.subarray(at, at + 100_000));
      const packed = await compressor.end();
      if (compression !== 'none') expect(packed.length).toBeLessThan(DATA.length);
      expect((await decompressBuffer(packed, compression)).equals(DATA)).toBe(true);
    });
  }

  it('says how a compressor failed, with what it wrote on stderr', async () => {
    const error = await decompressBuffer(Buffer.from('not xz at all'), 'xz').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CompressError);
    expect((error as Error).message).toMatch(/^xz --decompress --stdout exited with code 1: xz: \(stdin\): File format not recognized$/);
  });

  it('says which compressor is not installed', async () => {
    const saved = process.env.PATH;
    process.env.PATH = '/nonexistent';
    try {
      const error = await compressBuffer(DATA, 'zst', { threads: 1 }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(CompressError);
      expect((error as Error).message).toBe('zstd is not installed (needed to compress with it)');
    } finally {
      process.env.PATH = saved;
    }
  });
});
