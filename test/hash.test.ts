import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import path from 'node:path';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, expect, it } from 'vitest';
import { HashingStream, copyHashed, digestHex, hashFile, hashFileAll, hashFileInto, sha256Hex } from '../src/hash.js';
import { tempDir } from './support/tmp.js';

const reference = (data: string | Buffer): string => createHash('sha256').update(data).digest('hex');

describe('hashing', () => {
  it('hashes bytes in memory', () => {
    expect(sha256Hex('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(digestHex('md5', Buffer.from('abc'))).toBe('900150983cd24fb0d6963f7d28e17f72');
  });

  it('hashes a file as it reads it, alone or as the start of more', async () => {
    const file = path.join(await tempDir(), 'part');
    // Bigger than one read and not a multiple of it, in a pattern that shifts every MiB: a piece
    // handed on twice in place of the next changes the digest.
    const body = Buffer.from(Array.from({ length: 2_500_001 }, (_, i) => (i * 7 + (i >> 20)) & 0xff));
    writeFileSync(file, body);
    expect(await hashFile(file)).toBe(reference(body));
    const hash = createHash('sha256');
    await hashFileInto(file, hash);
    hash.update('and the rest');
    expect(hash.digest('hex')).toBe(reference(Buffer.concat([body, Buffer.from('and the rest')])));
    expect(await hashFileAll(file, ['md5', 'sha256'])).toEqual({ md5: createHash('md5').update(body).digest('hex'), sha256: reference(body) });
  });

  it('copies a file after what was written before, hashing what it copies', async () => {
    const dir = await tempDir();
    const from = path.join(dir, 'from');
    const body = Buffer.from(Array.from({ length: 1_500_000 }, (_, i) => (i * 13 + (i >> 20)) & 0xff));
    writeFileSync(from, body);
    const to = path.join(dir, 'to');
    const out = await open(to, 'w');
    const hash = createHash('sha256');
    try {
      await out.write(Buffer.from('head'));
      expect(await copyHashed(from, out, hash)).toBe(body.length);
    } finally {
      await out.close();
    }
    expect(readFileSync(to)).toEqual(Buffer.concat([Buffer.from('head'), body]));
    expect(hash.digest('hex')).toBe(reference(body));
  });

  it('hashes and counts what passes through, telling the running count', async () => {
    const counts: number[] = [];
    const hasher = new HashingStream((bytes) => counts.push(bytes));
    const passed: Buffer[] = [];
    const sink = new Writable({
      write: (chunk: Buffer, _encoding, done) => {
        passed.push(chunk);
        done();
      },
    });
    await pipeline(Readable.from([Buffer.from('one'), Buffer.from('three')]), hasher, sink);
    expect(Buffer.concat(passed).toString()).toBe('onethree');
    expect(counts).toEqual([3, 8]);
    expect(hasher.bytes).toBe(8);
    expect(hasher.digest()).toBe(reference('onethree'));
  });
});
