import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { mirrorUrl } from '../../src/recipes/profile.js';
import { ChecksumMismatch } from '../../src/sources/download.js';
import { archiveName } from '../../src/sources/git.js';
import { currentSourceLabel, fetchSource, isFetched, missingSources, placeSource, type SourceContext } from '../../src/sources/source.js';
import { commitFiles } from '../support/git.js';
import { recipe } from '../support/recipes.js';
import { tempDir } from '../support/tmp.js';

const UPSTREAM = 'https://github.invalid/hermitcore/LwIP.git';

/** `<dir>/lwip-<commit>.tar.gz` with one top folder, as a premirror holds it; returns its sha256. */
function writeArchive(dir: string, commit: string, files: Record<string, string>): string {
  const top = path.join(dir, 'tree', `lwip-${commit}`);
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(top, name)), { recursive: true });
    writeFileSync(path.join(top, name), content);
  }
  mkdirSync(path.join(dir, 'mirror'), { recursive: true });
  const file = path.join(dir, 'mirror', `lwip-${commit}.tar.gz`);
  execFileSync('tar', ['-czf', file, '-C', path.join(dir, 'tree'), `lwip-${commit}`]);
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}

function context(root: string, premirrors: string[]): SourceContext {
  return { cacheDir: path.join(root, 'cache'), offline: false, premirrors, overrides: new Map(), toolchainDir: root };
}

const quiet = { log: () => {} };

describe('git pins served as verified archives', () => {
  it('names the archive after the repository in lower case and the commit', () => {
    expect(archiveName({ url: UPSTREAM, commit: 'a'.repeat(40) })).toBe(`lwip-${'a'.repeat(40)}.tar.gz`);
  });

  it('takes the archive from a premirror when its sha256 matches, and unpacks it as the tree', async () => {
    const root = await tempDir();
    const commit = 'd4d77f78a667d9773a235b010027ce1ec7973daf';
    const sha256 = writeArchive(root, commit, { 'src/include/lwipopts.h': '#define LWIP_IPV6 1\n' });
    const ctx = context(root, [mirrorUrl(path.join(root, 'mirror'), root)]);
    const lwip = recipe('lwip', { source: { git: { url: UPSTREAM, commit, 'archive-sha256': sha256 } } });

    expect(await isFetched(ctx, lwip)).toBe(false);
    await fetchSource(ctx, lwip, quiet);
    expect(await isFetched(ctx, lwip)).toBe(true);
    expect(await currentSourceLabel(ctx, lwip)).toBe(`git ${UPSTREAM} ${commit} as lwip-${commit}.tar.gz (sha256 ${sha256})`);

    const dest = path.join(root, 'src');
    mkdirSync(path.join(root, 'state'));
    await placeSource(ctx, lwip, { dest, temp: `${dest}.unpacking`, label: path.join(root, 'state', 'source') }, () => {});
    expect(readFileSync(path.join(dest, 'src/include/lwipopts.h'), 'utf8')).toBe('#define LWIP_IPV6 1\n');
  });

  it('refuses an archive whose bytes are not the pinned ones, and keeps nothing of it', async () => {
    const root = await tempDir();
    const commit = 'd4d77f78a667d9773a235b010027ce1ec7973daf';
    writeArchive(root, commit, { 'a.c': 'other content\n' });
    const ctx = context(root, [mirrorUrl(path.join(root, 'mirror'), root)]);
    const lwip = recipe('lwip', { source: { git: { url: UPSTREAM, commit, 'archive-sha256': 'b'.repeat(64) } } });

    await expect(fetchSource(ctx, lwip, quiet)).rejects.toThrow(ChecksumMismatch);
    expect(await isFetched(ctx, lwip)).toBe(false);
    expect(existsSync(path.join(ctx.cacheDir, 'downloads', 'b'.repeat(64), `lwip-${commit}.tar.gz`))).toBe(false);
  });

  it('prefers the repository when the cache has the commit, and says how to supply an archive when nothing serves one', async () => {
    const root = await tempDir();
    const commit = commitFiles(path.join(root, 'mirror/LwIP.git'), { 'a.c': 'from git\n' });
    const ctx = context(root, [mirrorUrl(path.join(root, 'mirror'), root)]);
    const lwip = recipe('lwip', { source: { git: { url: UPSTREAM, commit, 'archive-sha256': 'c'.repeat(64) } } });
    await fetchSource(ctx, lwip, quiet);
    expect(await currentSourceLabel(ctx, lwip)).toBe(`git ${UPSTREAM} ${commit}`);

    const bare = context(await tempDir(), []);
    const unreachable = recipe('lwip', { source: { git: { url: path.join(root, 'nowhere.git'), commit, 'archive-sha256': 'c'.repeat(64) } } });
    expect(await missingSources(bare, [unreachable])).toEqual([expect.stringContaining(`or nowhere-${commit}.tar.gz from a premirror`)]);
    await expect(fetchSource(bare, unreachable, quiet)).rejects.toThrow(`put nowhere-${commit}.tar.gz in a folder given with --mirror`);
  });
});
