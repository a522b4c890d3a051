import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { UserError } from '../errors.js';
import { exists } from '../exists.js';
import { withFileLock } from '../process/lock.js';
import { sha256Hex } from '../hash.js';
import { emptyFolder } from '../folders.js';

/** A git source pinned by commit: the commit is the checksum. */
export interface GitPin {
  readonly url: string;
  readonly commit: string;
  readonly submodules: boolean;
  /** sha256 of the commit's tree as `archiveName(pin)`, when a premirror may serve that instead. */
  readonly archiveSha256?: string | undefined;
}

/** The repository's name as its URL ends, without `.git`: `LwIP` for …/hermitcore/LwIP.git. */
function repositoryName(url: string): string {
  return (url.replace(/\/+$/, '').split(/[/:]/).at(-1) ?? 'repo').replace(/\.git$/i, '');
}

/**
 * The file name a premirror serves a commit's tree under: `<repository>-<commit>.tar.gz`, the
 * repository name in lower case (`lwip-d4d77f78….tar.gz`), as Buildroot names its git tarballs.
 */
export function archiveName(pin: Pick<GitPin, 'url' | 'commit'>): string {
  return `${repositoryName(pin.url).toLowerCase()}-${pin.commit}.tar.gz`;
}

export class GitError extends UserError {}

async function git(args: readonly string[], options: { cwd?: string; reject?: boolean } = {}): Promise<{ ok: boolean; stdout: string; stderr: string }> {
  const { execa } = await import('execa');
  // No prompt may ever wait for a password in the middle of a build.
  const result = await execa('git', args, { cwd: options.cwd, reject: false, env: { GIT_TERMINAL_PROMPT: '0', GIT_ASKPASS: 'true' } });
  const outcome = { ok: result.exitCode === 0, stdout: result.stdout, stderr: result.stderr };
  if (!outcome.ok && options.reject !== false) {
    throw new GitError(`git ${args.join(' ')} failed: ${result.stderr.trim().split('\n').at(-1) ?? `exit ${result.exitCode}`}`);
  }
  return outcome;
}

/** One bare mirror per repository URL in the cache, shared by every work directory. */
export function mirrorPath(cacheDir: string, url: string): string {
  const name = repositoryName(url).replace(/[^A-Za-z0-9._-]/g, '_');
  const id = sha256Hex(url).slice(0, 16);
  return path.join(cacheDir, 'git', `${name}-${id}.git`);
}

async function hasCommit(mirror: string, commit: string): Promise<boolean> {
  if (!(await exists(mirror))) return false;
  const result = await git(['-C', mirror, 'rev-parse', '--verify', '--quiet', `${commit}^{commit}`], { reject: false });
  return result.ok && result.stdout.trim() === commit;
}

/**
 * Makes `commit` present in the mirror of the first URL that has it. `urls` are the places to try
 * (premirrors first, then upstream); the mirror is keyed by the upstream URL (the last one).
 */
async function ensureCommit(cacheDir: string, urls: readonly string[], commit: string, offline: boolean, log: (line: string) => void): Promise<string> {
  const upstream = urls.at(-1)!;
  const mirror = mirrorPath(cacheDir, upstream);
  if (await hasCommit(mirror, commit)) return mirror;
  if (offline) throw new GitError(`commit ${commit} of ${upstream} is not in the cache (offline)`);
  await mkdir(path.dirname(mirror), { recursive: true });
  // Re-running init on an existing mirror is harmless, and simpler than checking first.
  await git(['init', '--quiet', '--bare', mirror]);
  const failures: string[] = [];
  for (const url of urls) {
    log(`git fetch ${url} ${commit}`);
    // Fetching one commit by id is what servers allow today; older ones only serve refs.
    const byId = await git(['-C', mirror, 'fetch', '--quiet', '--no-tags', url, commit], { reject: false });
    if (!byId.ok) await git(['-C', mirror, 'fetch', '--quiet', '--tags', url, '+refs/heads/*:refs/remotes/mirror/*'], { reject: false });
    if (await hasCommit(mirror, commit)) {
      // Keep the commit reachable so that git gc in the mirror never drops it.
      await git(['-C', mirror, 'update-ref', `refs/pins/${commit}`, commit]);
      return mirror;
    }
    failures.push(`${url}: ${(byId.stderr.trim().split('\n').at(-1) ?? '') || 'commit not found'}`);
  }
  throw new GitError(`cannot fetch commit ${commit}: ${failures.join('; ')}`);
}

interface Submodule {
  readonly path: string;
  readonly url: string;
  readonly commit: string;
}

/** Resolves a submodule URL written relative to its superproject (`../lwip.git`). */
export function resolveSubmoduleUrl(superUrl: string, url: string): string {
  if (!url.startsWith('./') && !url.startsWith('../')) return url;
  const base = superUrl.replace(/\/+$/, '');
  const isUrl = /^[a-z][a-z0-9+.-]*:\/\//i.test(base);
  if (isUrl) {
    const parsed = new URL(`${base}/`);
    parsed.pathname = path.posix.normalize(path.posix.join(parsed.pathname, url));
    return parsed.toString().replace(/\/$/, '');
  }
  return path.posix.normalize(path.posix.join(base, url));
}

/** The submodules a commit records: paths and URLs from its .gitmodules, commits from its gitlinks. */
async function submodulesOf(mirror: string, commit: string, superUrl: string): Promise<Submodule[]> {
  const tree = await git(['-C', mirror, 'ls-tree', '-r', '-z', commit]);
  const links = new Map<string, string>();
  for (const entry of tree.stdout.split('\0')) {
    const match = /^160000 commit ([0-9a-f]{40})\t(.+)$/.exec(entry);
    if (match) links.set(match[2]!, match[1]!);
  }
  if (links.size === 0) return [];
  const config = await git(['-C', mirror, 'config', '--blob', `${commit}:.gitmodules`, '--get-regexp', '^submodule\\..*\\.(path|url)$']);
  const byName = new Map<string, { path?: string; url?: string }>();
  for (const line of config.stdout.split('\n').filter(Boolean)) {
    const match = /^submodule\.(.+)\.(path|url) (.*)$/.exec(line);
    if (!match) continue;
    const entry = byName.get(match[1]!) ?? {};
    entry[match[2] as 'path' | 'url'] = match[3]!;
    byName.set(match[1]!, entry);
  }
  const submodules: Submodule[] = [];
  for (const [where, linked] of links) {
    const declared = [...byName.values()].find((entry) => entry.path === where);
    if (!declared?.url) throw new GitError(`submodule ${where} of commit ${commit} has no URL in .gitmodules`);
    submodules.push({ path: where, url: resolveSubmoduleUrl(superUrl, declared.url), commit: linked });
  }
  return submodules;
}

export interface GitFetchOptions {
  readonly offline: boolean;
  /** Premirror URLs to try before upstream, for a repository named like the upstream one. */
  readonly premirrors: readonly string[];
  readonly log: (line: string) => void;
}

function candidates(url: string, premirrors: readonly string[]): string[] {
  const name = url.replace(/\/+$/, '').split(/[/:]/).at(-1)!;
  return [...premirrors.map((base) => `${base.replace(/\/+$/, '')}/${name}`), url];
}

/**
 * A file that says a pin was fetched completely (submodules included), so that checking an
 * up-to-date build costs a stat instead of running git.
 */
function completeMarker(cacheDir: string, pin: GitPin): string {
  return path.join(mirrorPath(cacheDir, pin.url), 'hermit-fetched', `${pin.commit}${pin.submodules ? '+submodules' : ''}`);
}

/** Fetches the pinned commit (and, when asked, every submodule commit it records) into the cache. */
export async function fetchGit(cacheDir: string, pin: GitPin, options: GitFetchOptions): Promise<void> {
  const mirror = await withFileLock(`${mirrorPath(cacheDir, pin.url)}.lock`, () =>
    ensureCommit(cacheDir, candidates(pin.url, options.premirrors), pin.commit, options.offline, options.log),
  );
  if (pin.submodules) {
    for (const sub of await submodulesOf(mirror, pin.commit, pin.url)) {
      options.log(`submodule ${sub.path} pinned at ${sub.commit}`);
      await fetchGit(cacheDir, { url: sub.url, commit: sub.commit, submodules: true }, options);
    }
  }
  await mkdir(path.dirname(completeMarker(cacheDir, pin)), { recursive: true });
  await writeFile(completeMarker(cacheDir, pin), '');
}

/** Whether everything `fetchGit` would fetch is already in the cache. */
export async function gitCached(cacheDir: string, pin: GitPin): Promise<boolean> {
  if (await exists(completeMarker(cacheDir, pin))) return true;
  const mirror = mirrorPath(cacheDir, pin.url);
  if (!(await hasCommit(mirror, pin.commit))) return false;
  if (!pin.submodules) return true;
  for (const sub of await submodulesOf(mirror, pin.commit, pin.url)) {
    if (!(await gitCached(cacheDir, { url: sub.url, commit: sub.commit, submodules: true }))) return false;
  }
  return true;
}

/** The submodules the pinned commit records (path, URL, commit), read from the cached mirror. */
export async function submodulePins(cacheDir: string, pin: GitPin): Promise<Array<{ path: string; url: string; commit: string }>> {
  const mirror = mirrorPath(cacheDir, pin.url);
  if (!(await hasCommit(mirror, pin.commit))) return [];
  return submodulesOf(mirror, pin.commit, pin.url);
}

/** Two URLs name the same repository when their last path segments agree (`LwIP.git` = `lwip`). */
export function sameRepository(a: string, b: string): boolean {
  return repositoryName(a).toLowerCase() === repositoryName(b).toLowerCase();
}

/** Writes the tree of the pinned commit (and its submodules, at their pinned commits) into `dest`. */
export async function exportGit(cacheDir: string, pin: GitPin, dest: string): Promise<void> {
  const mirror = mirrorPath(cacheDir, pin.url);
  if (!(await hasCommit(mirror, pin.commit))) throw new GitError(`commit ${pin.commit} of ${pin.url} is not in the cache; fetch first`);
  await emptyFolder(dest);
  const [{ execa }, tar] = await Promise.all([import('execa'), import('tar')]);
  const archive = execa('git', ['-C', mirror, 'archive', '--format=tar', pin.commit], { buffer: { stdout: false } });
  await Promise.all([pipeline(archive.stdout, tar.x({ cwd: dest, preserveOwner: false })), archive]);
  if (!pin.submodules) return;
  for (const sub of await submodulesOf(mirror, pin.commit, pin.url)) {
    await exportGit(cacheDir, { url: sub.url, commit: sub.commit, submodules: true }, path.join(dest, sub.path));
  }
}

/** The committer time of the pinned commit, in seconds: the one date a tree made from it may carry. */
export async function commitTime(cacheDir: string, pin: GitPin): Promise<number> {
  const mirror = mirrorPath(cacheDir, pin.url);
  const shown = await git(['-C', mirror, 'show', '-s', '--format=%ct', pin.commit]);
  const seconds = Number(shown.stdout.trim());
  if (!Number.isSafeInteger(seconds)) throw new GitError(`git show ${pin.commit} gave no commit time: "${shown.stdout.trim()}"`);
  return seconds;
}
