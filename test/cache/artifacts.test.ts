import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, linkSync, mkdirSync, readFileSync, readdirSync, readlinkSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { listImage, packImage, restoreModes, unpackImage } from '../../src/cache/archive.js';
import { ArtifactCache, type ImageOrigin } from '../../src/cache/artifacts.js';
import { LocalStore } from '../../src/cache/local.js';
import { compareFiles, parseManifest } from '../../src/cache/manifest.js';
import { tempDir } from '../support/tmp.js';

const KEY = 'c'.repeat(64);

function makeImage(dir: string): void {
  mkdirSync(path.join(dir, 'opt/hermit/bin'), { recursive: true });
  mkdirSync(path.join(dir, 'opt/hermit/lib'), { recursive: true });
  writeFileSync(path.join(dir, 'opt/hermit/bin/x86_64-hermit-gcc'), '#!/bin/sh\necho gcc\n');
  chmodSync(path.join(dir, 'opt/hermit/bin/x86_64-hermit-gcc'), 0o755);
  linkSync(path.join(dir, 'opt/hermit/bin/x86_64-hermit-gcc'), path.join(dir, 'opt/hermit/bin/x86_64-hermit-gcc-12'));
  symlinkSync('x86_64-hermit-gcc', path.join(dir, 'opt/hermit/bin/gcc'));
  writeFileSync(path.join(dir, 'opt/hermit/lib/libc.a'), Buffer.alloc(5000, 7));
  chmodSync(path.join(dir, 'opt/hermit/lib/libc.a'), 0o664);
}

describe('image archives', () => {
  it('round-trip files, modes, hard links and symbolic links', async () => {
    const root = await tempDir();
    const image = path.join(root, 'image');
    makeImage(image);
    const packed = await packImage(image, path.join(root, 'image.tar.zst'));
    expect(packed.size).toBe(statSync(path.join(root, 'image.tar.zst')).size);
    const before = await listImage(image);
    await unpackImage(path.join(root, 'image.tar.zst'), path.join(root, 'out'), before);
    await restoreModes(path.join(root, 'out'), before);
    expect(before.map((f) => f.path)).toEqual([
      'opt/hermit/bin/gcc',
      'opt/hermit/bin/x86_64-hermit-gcc',
      'opt/hermit/bin/x86_64-hermit-gcc-12',
      'opt/hermit/lib/libc.a',
    ]);
    expect(await listImage(path.join(root, 'out'))).toEqual(before);
    expect(statSync(path.join(root, 'out/opt/hermit/lib/libc.a')).mode & 0o777).toBe(0o664);
    expect(statSync(path.join(root, 'out/opt/hermit/bin/x86_64-hermit-gcc')).ino).toBe(statSync(path.join(root, 'out/opt/hermit/bin/x86_64-hermit-gcc-12')).ino);
  });

  it('lists what differs between a manifest and an unpacked image', () => {
    const want = [{ path: 'a', size: 1, mode: 0o644 }, { path: 'b', link: 'a' }];
    expect(compareFiles(want, want)).toEqual([]);
    expect(compareFiles(want, [{ path: 'a', size: 2, mode: 0o644 }, { path: 'c', link: 'a' }])).toEqual([
      'a: expected 1 bytes, mode 644, found 2 bytes, mode 644',
      'b is missing',
      'c is not in the manifest',
    ]);
  });

  it('refuses manifests that are not for their key', () => {
    expect(() => parseManifest('{', KEY)).toThrow(/not JSON/);
    expect(() => parseManifest('{"format": 2}', KEY)).toThrow(/invalid: format/);
  });

  it('refuses manifests whose listing no image can have: a path below a link or a file, an unclean path, a path twice', () => {
    const manifest = (files: unknown[]): string =>
      JSON.stringify({ format: 1, key: KEY, recipe: 'gcc', version: '12.2', task: 'install', archive: { sha256: KEY, size: 1, format: 'tar+zstd' }, files, created: 'now' });
    const link = { path: 'opt/hermit/lib', link: '/etc' };
    expect(() => parseManifest(manifest([link, { path: 'opt/hermit/lib/passwd', size: 1, mode: 0o644 }]), KEY)).toThrow(
      'invalid: files: opt/hermit/lib/passwd lies below opt/hermit/lib, which is not a folder',
    );
    expect(() => parseManifest(manifest([{ path: 'opt/../../etc/passwd', size: 1, mode: 0o644 }]), KEY)).toThrow('opt/../../etc/passwd is not a clean relative path');
    expect(() => parseManifest(manifest([{ path: '/etc/passwd', size: 1, mode: 0o644 }]), KEY)).toThrow('/etc/passwd is not a clean relative path');
    expect(() => parseManifest(manifest([link, link]), KEY)).toThrow('opt/hermit/lib is listed twice');
    expect(parseManifest(manifest([link]), KEY).files).toEqual([link]);
  });
});

describe('the local artifact cache', () => {
  const origin: ImageOrigin = { key: KEY, recipe: 'gcc', version: '12.2', task: 'osabi' };

  async function stored(): Promise<{ root: string; cache: ArtifactCache; warnings: string[] }> {
    const root = await tempDir();
    makeImage(path.join(root, 'image'));
    const warnings: string[] = [];
    const cache = new ArtifactCache(new LocalStore(path.join(root, 'artifacts')), undefined, { write: false, warn: (line) => warnings.push(line) });
    await cache.store(origin, path.join(root, 'image'), () => undefined);
    return { root, cache, warnings };
  }

  it('stores an image and restores it elsewhere', async () => {
    const { root, cache, warnings } = await stored();
    expect(cache.counts.stored).toBe(1);
    const hit = await cache.lookup(KEY, 'gcc');
    expect(hit?.from).toBe('local');
    expect(hit?.manifest).toMatchObject({ key: KEY, recipe: 'gcc', version: '12.2', task: 'osabi', archive: { format: 'tar+zstd' } });
    mkdirSync(path.join(root, 'work/image/gcc/stale'), { recursive: true });
    expect(await cache.restore(hit!, { imageDir: path.join(root, 'work/image/gcc'), staging: path.join(root, 'work/image/.restoring-gcc') }, () => undefined)).toBe(true);
    expect(readFileSync(path.join(root, 'work/image/gcc/opt/hermit/bin/x86_64-hermit-gcc'), 'utf8')).toBe('#!/bin/sh\necho gcc\n');
    expect(existsSync(path.join(root, 'work/image/gcc/stale'))).toBe(false);
    expect(readdirSync(path.join(root, 'work/image'))).toEqual(['gcc']);
    expect(warnings).toEqual([]);
    expect(await cache.lookup('d'.repeat(64), 'gcc')).toBeUndefined();
  });

  it('discards an archive whose bytes changed, and reports it', async () => {
    const { root, cache, warnings } = await stored();
    const hit = (await cache.lookup(KEY, 'gcc'))!;
    const blob = path.join(root, 'artifacts/cas', hit.manifest.archive.sha256);
    const bytes = readFileSync(blob);
    bytes[20]! ^= 1;
    writeFileSync(blob, bytes);
    expect(await cache.restore(hit, { imageDir: path.join(root, 'work/image/gcc'), staging: path.join(root, 'work/image/.restoring-gcc') }, () => undefined)).toBe(false);
    expect(cache.counts.corrupt).toBe(1);
    expect(warnings).toEqual([expect.stringMatching(/^artifact cache: gcc osabi cccccccccccc: the local archive has sha256 \w{12}, its manifest says \w{12}; discarded it/)]);
    expect(existsSync(blob)).toBe(false);
    expect(await cache.lookup(KEY, 'gcc')).toBeUndefined();
  });

  it('discards an archive that does not hold the files its manifest lists', async () => {
    const { root, cache, warnings } = await stored();
    const hit = (await cache.lookup(KEY, 'gcc'))!;
    const lying = { ...hit, manifest: { ...hit.manifest, files: [...hit.manifest.files, { path: 'opt/hermit/bin/as', size: 1, mode: 0o755 }] } };
    expect(await cache.restore(lying, { imageDir: path.join(root, 'work/image/gcc'), staging: path.join(root, 'work/image/.restoring-gcc') }, () => undefined)).toBe(false);
    expect(warnings[0]).toContain('does not hold the image its manifest lists (opt/hermit/bin/as is missing)');
    expect(existsSync(path.join(root, 'work/image/gcc'))).toBe(false);
    expect(readdirSync(path.join(root, 'work/image'))).toEqual([]);
  });

  const places = (root: string, work: string): { imageDir: string; staging: string } => ({
    imageDir: path.join(root, work, 'image/gcc'),
    staging: path.join(root, work, 'image/.restoring-gcc'),
  });

  async function storedWithAbsoluteLink(root: string): Promise<{ cache: ArtifactCache; warnings: string[] }> {
    const image = path.join(root, 'w1/image/gcc');
    makeImage(image);
    // What an install step like `ln -s {prefix}/bin/tool {image}{prefix}/bin/tool-alias` makes.
    symlinkSync('/opt/hermit/bin/x86_64-hermit-gcc', path.join(image, 'opt/hermit/bin/x86_64-hermit-cc'));
    const warnings: string[] = [];
    const cache = new ArtifactCache(new LocalStore(path.join(root, 'artifacts')), undefined, { write: false, warn: (line) => warnings.push(line) });
    await cache.store(origin, image, () => undefined);
    return { cache, warnings };
  }

  it('restores an image with an absolute symbolic link, keeping its target, in another work directory', async () => {
    const root = await tempDir();
    const { cache, warnings } = await storedWithAbsoluteLink(root);
    for (const work of ['w2', 'w1']) {
      const hit = await cache.lookup(KEY, 'gcc');
      expect(await cache.restore(hit!, places(root, work), () => undefined)).toBe(true);
      expect(readlinkSync(path.join(root, work, 'image/gcc/opt/hermit/bin/x86_64-hermit-cc'))).toBe('/opt/hermit/bin/x86_64-hermit-gcc');
      expect(readdirSync(path.join(root, work, 'image'))).toEqual(['gcc']);
    }
    expect(cache.counts).toMatchObject({ stored: 1, restored: 2, corrupt: 0 });
    expect(warnings).toEqual([]);
  });

  it('leaves no staging folder when a restore fails', async () => {
    const root = await tempDir();
    const { cache, warnings } = await storedWithAbsoluteLink(root);
    const hit = (await cache.lookup(KEY, 'gcc'))!;
    const lying = { ...hit, manifest: { ...hit.manifest, files: [...hit.manifest.files, { path: 'opt/hermit/bin/as', size: 1, mode: 0o755 }] } };
    expect(await cache.restore(lying, places(root, 'w2'), () => undefined)).toBe(false);
    expect(warnings).toEqual([expect.stringContaining('does not hold the image its manifest lists (opt/hermit/bin/as is missing)')]);
    expect(readdirSync(path.join(root, 'w2/image'))).toEqual([]);
  });

  it('discards an archive that holds a fifo its manifest does not list, rather than restoring the image without it', async () => {
    const root = await tempDir();
    const image = path.join(root, 'image');
    makeImage(image);
    const files = await listImage(image);
    execFileSync('mkfifo', [path.join(image, 'opt/hermit/bin/pipe')]);
    const local = new LocalStore(path.join(root, 'artifacts'));
    const temp = await local.tempPath('archive');
    const archive = await packImage(image, temp);
    await local.adoptBlob(temp, archive.sha256);
    const manifest = { format: 1 as const, ...origin, archive: { ...archive, format: 'tar+zstd' as const }, files, created: 'now' };
    await local.putManifest(manifest);
    const warnings: string[] = [];
    const cache = new ArtifactCache(local, undefined, { write: false, warn: (line) => warnings.push(line) });
    expect(await cache.restore({ manifest, from: 'local' }, places(root, 'work'), () => undefined)).toBe(false);
    expect(warnings).toEqual([expect.stringContaining('./opt/hermit/bin/pipe: a FIFO entry, which no image holds')]);
    expect(existsSync(path.join(root, 'work/image/gcc'))).toBe(false);
    expect(await cache.lookup(KEY, 'gcc')).toBeUndefined();
  });

  it('stores no image that its build refuses: a fifo, or a packaged one with paths outside the prefix', async () => {
    const root = await tempDir();
    const warnings: string[] = [];
    const cache = new ArtifactCache(new LocalStore(path.join(root, 'artifacts')), undefined, { write: false, warn: (line) => warnings.push(line) });
    const withFifo = path.join(root, 'fifo');
    makeImage(withFifo);
    execFileSync('mkfifo', [path.join(withFifo, 'opt/hermit/bin/pipe')]);
    await cache.store(origin, withFifo, () => undefined);
    const outside = path.join(root, 'outside');
    makeImage(outside);
    mkdirSync(path.join(outside, 'etc'));
    writeFileSync(path.join(outside, 'etc/gcc.conf'), 'x\n');
    await cache.store({ ...origin, packagedIn: '/opt/hermit' }, outside, () => undefined);
    expect(cache.counts.stored).toBe(0);
    expect(warnings).toEqual([
      expect.stringMatching(/^artifact cache: cannot store gcc: .*\/fifo\/opt\/hermit\/bin\/pipe: not a file, directory or symlink \(devices, fifos and sockets cannot be packaged\)$/),
      'artifact cache: cannot store gcc: the image of gcc has 2 path(s) outside the prefix /opt/hermit; install steps must put everything under the prefix',
    ]);
    expect(await cache.lookup(KEY, 'gcc')).toBeUndefined();
    // Unpackaged, the same image is what its build accepts.
    await cache.store(origin, outside, () => undefined);
    expect(cache.counts.stored).toBe(1);
  });
});
