import { linkSync, mkdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { listImage, packImage, unpackImage } from '../../src/cache/archive.js';
import { hashFile } from '../../src/hash.js';
import { tempDir } from '../support/tmp.js';

describe('image archives', () => {
  it('pack and unpack an image with hard links, symbolic links and large files as it was', async () => {
    const dir = await tempDir();
    const image = path.join(dir, 'image');
    mkdirSync(path.join(image, 'opt/hermit/bin'), { recursive: true });
    mkdirSync(path.join(image, 'opt/hermit/x86_64-hermit/bin'), { recursive: true });
    // gcc installs its driver under several names, as hard links; binutils does the same.
    const big = randomBytes(8 << 20);
    writeFileSync(path.join(image, 'opt/hermit/bin/x86_64-hermit-gcc'), big, { mode: 0o755 });
    for (const name of ['bin/x86_64-hermit-gcc-12.2.0', 'bin/x86_64-hermit-cc', 'x86_64-hermit/bin/gcc']) {
      linkSync(path.join(image, 'opt/hermit/bin/x86_64-hermit-gcc'), path.join(image, 'opt/hermit', name));
    }
    symlinkSync('x86_64-hermit-gcc', path.join(image, 'opt/hermit/bin/cc'));
    writeFileSync(path.join(image, 'opt/hermit/README'), 'small\n');
    const archive = path.join(dir, 'image.tar.zst');
    const packed = await packImage(image, archive);
    expect(packed.sha256).toBe(await hashFile(archive));
    expect(packed.size).toBe(statSync(archive).size);
    const restored = path.join(dir, 'restored');
    await unpackImage(archive, restored);
    expect(await listImage(restored)).toEqual(await listImage(image));
    expect(readFileSync(path.join(restored, 'opt/hermit/x86_64-hermit/bin/gcc')).equals(big)).toBe(true);
  });
});
