import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { mirrorUrl } from '../../src/recipes/profile.js';
import { ChecksumMismatch } from '../../src/sources/download.js';
import { archiveName } from '../../src/sources/git.js';
import { ChangedDownload, currentSourceLabel, fetchSource, isFetched, missingSources, placeSource, type SourceContext } from '../../src/sources/source.js';
import { commitFiles } from '../support/git.js';
import { serve } from '../support/http.js';
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

/** lwip pinned at a commit whose archive, holding `files`, a premirror in `root` serves. */
function archivedPin(root: string, files: Record<string, string>) {
  const commit = 'd4d77f78a667d9773a235b010027ce1ec7973daf';
  const sha256 = writeArchive(root, commit, files);
  const ctx = context(root, [mirrorUrl(path.join(root, 'mirror'), root)]);
  return { commit, sha256, ctx, lwip: recipe('lwip', { source: { git: { url: UPSTREAM, commit, 'archive-sha256': sha256 } } }) };
}

describe('git pins served as verified archives', () => {
  it('names the archive after the repository in lower case and the commit', () => {
    expect(archiveName({ url: UPSTREAM, commit: 'a'.repeat(40) })).toBe(`lwip-${'a'.repeat(40)}.tar.gz`);
  });

  it('takes the archive from a premirror when its sha256 matches, and unpacks it as the tree', async () => {
    const root = await tempDir();
    const { commit, sha256, ctx, lwip } = archivedPin(root, { 'src/include/lwipopts.h': '#define LWIP_IPV6 1\n' });

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

/** A release tarball `demo-1.0.tar.gz` holding one file, as bytes. */
function release(dir: string, greeting: string): Buffer {
  mkdirSync(path.join(dir, 'demo-1.0'), { recursive: true });
  writeFileSync(path.join(dir, 'demo-1.0/greeting'), greeting);
  execFileSync('tar', ['-czf', 'demo-1.0.tar.gz', 'demo-1.0'], { cwd: dir });
  return readFileSync(path.join(dir, 'demo-1.0.tar.gz'));
}

describe('cached downloads are checked again before a tree is made from them', () => {
  async function fetched(): Promise<{ root: string; ctx: SourceContext; demo: ReturnType<typeof recipe>; cached: string; requests: string[] }> {
    const root = await tempDir();
    const bytes = release(path.join(root, 'upstream'), 'hello\n');
    const server = await serve({ '/demo-1.0.tar.gz': bytes });
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    const demo = recipe('demo', { source: { url: `${server.url}/demo-1.0.tar.gz`, sha256 } });
    const ctx = context(root, []);
    await fetchSource(ctx, demo, quiet);
    mkdirSync(path.join(root, 'state'));
    return { root, ctx, demo, cached: path.join(ctx.cacheDir, 'downloads', sha256, 'demo-1.0.tar.gz'), requests: server.requests };
  }

  const tree = (root: string) => ({ dest: path.join(root, 'src'), temp: path.join(root, 'src.unpacking'), label: path.join(root, 'state/source') });

  it('fetches a file again whose bytes changed in the cache, and unpacks what was pinned', async () => {
    const { root, ctx, demo, cached, requests } = await fetched();
    const bytes = readFileSync(cached);
    bytes[bytes.length - 6]! ^= 1;
    writeFileSync(cached, bytes);
    const lines: string[] = [];
    await placeSource(ctx, demo, tree(root), (line) => lines.push(line));
    expect(readFileSync(path.join(root, 'src/greeting'), 'utf8')).toBe('hello\n');
    expect(requests).toHaveLength(2);
    expect(lines).toContainEqual(expect.stringMatching(new RegExp(`^${cached} has sha256 [0-9a-f]{64}, not the pinned [0-9a-f]{64}: it changed in the cache and was removed; fetching it again$`)));
    expect(lines).toContainEqual(expect.stringMatching(/^verified sha256 [0-9a-f]{64} of /));
  });

  it('never unpacks another valid tarball put in its place', async () => {
    const { root, ctx, demo, cached } = await fetched();
    writeFileSync(cached, release(path.join(root, 'injected'), 'injected\n'));
    await placeSource(ctx, demo, tree(root), () => {});
    expect(readFileSync(path.join(root, 'src/greeting'), 'utf8')).toBe('hello\n');
  });

  it('offline, names the changed file and what to do, and removes it', async () => {
    const { root, ctx, demo, cached } = await fetched();
    writeFileSync(cached, release(path.join(root, 'injected'), 'injected\n'));
    const error = await placeSource({ ...ctx, offline: true }, demo, tree(root), () => {}).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ChangedDownload);
    expect((error as Error).message).toMatch(
      new RegExp(`^demo: ${cached} has sha256 [0-9a-f]{64}, not the pinned [0-9a-f]{64}: it changed in the cache and was removed; build once without --offline to download it again$`),
    );
    expect(existsSync(cached)).toBe(false);
    expect(existsSync(path.join(root, 'src'))).toBe(false);
  });

  it('fetches a git archive again whose bytes changed in the cache', async () => {
    const root = await tempDir();
    const { commit, sha256, ctx, lwip } = archivedPin(root, { 'a.c': 'pinned\n' });
    await fetchSource(ctx, lwip, quiet);
    const cached = path.join(ctx.cacheDir, 'downloads', sha256, `lwip-${commit}.tar.gz`);
    writeArchive(path.join(root, 'injected'), commit, { 'a.c': 'injected\n' });
    writeFileSync(cached, readFileSync(path.join(root, 'injected/mirror', `lwip-${commit}.tar.gz`)));
    mkdirSync(path.join(root, 'state'));
    await placeSource(ctx, lwip, tree(root), () => {});
    expect(readFileSync(path.join(root, 'src/a.c'), 'utf8')).toBe('pinned\n');
  });
});
