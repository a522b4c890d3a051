import { execFileSync } from 'node:child_process';
import { existsSync, linkSync, lstatSync, mkdirSync, readFileSync, readdirSync, readlinkSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { listImage, packImage, unpackImage } from '../../src/cache/archive.js';
import { CorruptArtifact, type ImageFile } from '../../src/cache/manifest.js';
import { TreeError } from '../../src/package/tree.js';
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
    const files = await listImage(image);
    await unpackImage(archive, restored, files);
    expect(await listImage(restored)).toEqual(files);
    expect(readFileSync(path.join(restored, 'opt/hermit/x86_64-hermit/bin/gcc')).equals(big)).toBe(true);
  });

  /** `<dir>/image` with a tool and the absolute link `ln -s {prefix}/bin/tool {image}{prefix}/bin/tool-alias` makes. */
  async function aliasImage(): Promise<{ dir: string; image: string }> {
    const dir = await tempDir();
    const image = path.join(dir, 'image');
    mkdirSync(path.join(image, 'opt/hermit/bin'), { recursive: true });
    writeFileSync(path.join(image, 'opt/hermit/bin/tool'), 'tool\n');
    symlinkSync('/opt/hermit/bin/tool', path.join(image, 'opt/hermit/bin/tool-alias'));
    return { dir, image };
  }

  it('keep the targets of symbolic links exactly, absolute ones and ones that leave the image too', async () => {
    const { dir, image } = await aliasImage();
    symlinkSync('../../../usr/lib/libz.so.1', path.join(image, 'opt/hermit/bin/libz.so'));
    const files = await listImage(image);
    await packImage(image, path.join(dir, 'image.tar.zst'));
    const restored = path.join(dir, 'restored');
    await unpackImage(path.join(dir, 'image.tar.zst'), restored, files);
    expect(readlinkSync(path.join(restored, 'opt/hermit/bin/tool-alias'))).toBe('/opt/hermit/bin/tool');
    expect(readlinkSync(path.join(restored, 'opt/hermit/bin/libz.so'))).toBe('../../../usr/lib/libz.so.1');
    expect(await listImage(restored)).toEqual(files);
  });

  it('write only what the manifest lists, and say what else the archive holds once all is written', async () => {
    const { dir, image } = await aliasImage();
    execFileSync('mkfifo', [path.join(image, 'opt/hermit/bin/pipe')]);
    writeFileSync(path.join(image, 'opt/hermit/extra'), 'not listed\n');
    await packImage(image, path.join(dir, 'image.tar.zst'));
    const listed: ImageFile[] = [
      { path: 'opt/hermit/bin/tool', size: 5, mode: 0o644 },
      { path: 'opt/hermit/bin/tool-alias', link: '/opt/hermit/bin/other' },
    ];
    const restored = path.join(dir, 'restored');
    const error = await unpackImage(path.join(dir, 'image.tar.zst'), restored, listed).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CorruptArtifact);
    expect((error as Error).message).toMatch(/^entries the manifest does not list: /);
    expect((error as Error).message).toContain('./opt/hermit/bin/pipe: a FIFO entry, which no image holds');
    expect((error as Error).message).toContain('./opt/hermit/bin/tool-alias: a symbolic link to /opt/hermit/bin/tool the manifest does not list (it lists -> /opt/hermit/bin/other)');
    expect((error as Error).message).toContain('./opt/hermit/extra: a file the manifest does not list');
    expect(readdirSync(path.join(restored, 'opt/hermit/bin'))).toEqual(['tool']);
    expect(existsSync(path.join(restored, 'opt/hermit/extra'))).toBe(false);
  });

  it('refuse to list an image holding a fifo, as packaging refuses it', async () => {
    const image = path.join(await tempDir(), 'image');
    mkdirSync(path.join(image, 'opt/hermit'), { recursive: true });
    execFileSync('mkfifo', [path.join(image, 'opt/hermit/pipe')]);
    expect(lstatSync(path.join(image, 'opt/hermit/pipe')).isFIFO()).toBe(true);
    await expect(listImage(image)).rejects.toThrow(TreeError);
  });
});
