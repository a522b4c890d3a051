import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { UserError, describeError } from '../errors.js';
import { exists } from '../exists.js';
import type { Alternate, Recipe } from '../recipes/schema.js';
import { alternateFile, describeAlternate, fetchAlternate } from './alternate.js';
import { downloadPath, fileNameOf } from './cache.js';
import { ChecksumMismatch, changedInCache, download, recheck, type DownloadOptions, type RetryPolicy } from './download.js';
import { archiveName, exportGit, fetchGit, gitCached, sameRepository, submodulePins, type GitPin } from './git.js';
import { placeOverride } from './override.js';
import { unpackArchive, type UnpackTarget } from './unpack.js';

/** What the source side of a build needs to know besides the recipe. */
export interface SourceContext {
  readonly cacheDir: string;
  /** Never touch the network: everything must already be in the cache. */
  readonly offline: boolean;
  /** Profile premirrors, as base URLs (folders become file:// URLs), tried before upstream. */
  readonly premirrors: readonly string[];
  /** `--source NAME=PATH`: local trees or tarballs used instead of the pinned source. */
  readonly overrides: ReadonlyMap<string, string>;
  readonly toolchainDir: string;
  /** Attempts, backoff and timeout of every download (the defaults when not given). */
  readonly retry?: RetryPolicy | undefined;
}

/** One file that can provide a recipe's source tree. */
export interface Artifact {
  /** Stable description, recorded with the unpacked tree and shown in logs. */
  readonly label: string;
  readonly file: string;
  /** What the file's bytes must hash to. */
  readonly sha256: string;
  readonly alternate?: Alternate;
}

/** A file of the download cache changed after it was verified, and --offline forbids fetching it again. */
export class ChangedDownload extends UserError {
  constructor(
    readonly recipe: string,
    readonly file: string,
    readonly expected: string,
    readonly actual: string,
  ) {
    super(`${recipe}: ${changedInCache(file, expected, actual)}; build once without --offline to download it again`);
  }
}

/** The recipe's git pin, when its source is a git repository. */
export function gitPin(recipe: Recipe): GitPin | undefined {
  const git = recipe.source?.git;
  return git ? { url: git.url, commit: git.commit, submodules: git.submodules ?? false, archiveSha256: git['archive-sha256'] } : undefined;
}

/** The verified archive of a git pin's tree that a premirror may serve, when the recipe names one. */
export function gitArchive(ctx: SourceContext, pin: GitPin): Artifact | undefined {
  if (!pin.archiveSha256) return undefined;
  const file = archiveName(pin);
  return { label: `git ${pin.url} ${pin.commit} as ${file} (sha256 ${pin.archiveSha256})`, file: downloadPath(ctx.cacheDir, pin.archiveSha256, file), sha256: pin.archiveSha256 };
}

/**
 * How a git pin's tree is provided now: the repository when the cache has the commit (the
 * archive may leave files out, e.g. blobs that were not copied), else the verified archive.
 */
async function gitProvider(ctx: SourceContext, pin: GitPin): Promise<'git' | Artifact | undefined> {
  if (await gitCached(ctx.cacheDir, pin)) return 'git';
  const archive = gitArchive(ctx, pin);
  return archive && (await exists(archive.file)) ? archive : undefined;
}

/** The upstream file first, then each verified alternate, in the recipe's order. */
export function artifactsOf(ctx: SourceContext, recipe: Recipe): Artifact[] {
  const source = recipe.source;
  if (!source?.url || !source.sha256) return [];
  const file = fileNameOf(source.url, source.file);
  return [
    { label: `${file} (sha256 ${source.sha256})`, file: downloadPath(ctx.cacheDir, source.sha256, file), sha256: source.sha256 },
    ...(source.alternates ?? []).map((alternate) => ({
      label: `${describeAlternate(alternate)} (sha256 ${alternate.sha256})`,
      file: alternateFile(ctx.cacheDir, alternate),
      sha256: alternate.sha256,
      alternate,
    })),
  ];
}

/** The artifact a build would use now: the first one present in the cache. */
export async function availableArtifact(ctx: SourceContext, recipe: Recipe): Promise<Artifact | undefined> {
  for (const artifact of artifactsOf(ctx, recipe)) if (await exists(artifact.file)) return artifact;
  return undefined;
}

/** The label of what `placeSource` would put in the tree now, or undefined if it cannot. */
export async function currentSourceLabel(ctx: SourceContext, recipe: Recipe): Promise<string | undefined> {
  const override = ctx.overrides.get(recipe.name);
  if (override) return `override ${override}`;
  const pin = gitPin(recipe);
  if (pin) {
    const provider = await gitProvider(ctx, pin);
    return provider === 'git' || provider === undefined ? `git ${pin.url} ${pin.commit}` : provider.label;
  }
  return (await availableArtifact(ctx, recipe))?.label;
}

/** Whether everything the recipe's fetch task would get is in the cache. */
export async function isFetched(ctx: SourceContext, recipe: Recipe): Promise<boolean> {
  if (ctx.overrides.has(recipe.name)) return true;
  const pin = gitPin(recipe);
  if (pin) return (await gitProvider(ctx, pin)) !== undefined;
  return (await availableArtifact(ctx, recipe)) !== undefined;
}

/** What `fetch --offline` would miss, one line per source, for every recipe given. */
export async function missingSources(ctx: SourceContext, recipes: readonly Recipe[]): Promise<string[]> {
  const missing: string[] = [];
  for (const recipe of recipes) {
    if (!recipe.source || (await isFetched(ctx, recipe))) continue;
    const pin = gitPin(recipe);
    if (pin) {
      const archive = pin.archiveSha256 ? ` or ${archiveName(pin)} from a premirror` : '';
      missing.push(`${recipe.name}: git ${pin.url} at ${pin.commit}${pin.submodules ? ' (with submodules)' : ''}${archive}`);
    }
    else missing.push(`${recipe.name}: ${artifactsOf(ctx, recipe).map((a) => a.label).join(' or ')}`);
  }
  return missing;
}

/** Where each premirror would hold a file of this name. */
function inPremirrors(ctx: SourceContext, file: string): string[] {
  return ctx.premirrors.map((base) => `${base.replace(/\/+$/, '')}/${file}`);
}

/** Upstream URL candidates: premirrors first (Yocto's PREMIRRORS), then `url`, then `mirrors`. */
export function urlsOf(ctx: SourceContext, recipe: Recipe): string[] {
  const source = recipe.source!;
  return [...inPremirrors(ctx, fileNameOf(source.url!, source.file)), source.url!, ...(source.mirrors ?? [])];
}

export interface FetchOptions extends Pick<DownloadOptions, 'signal' | 'onProgress' | 'retry'> {
  readonly log: (line: string) => void;
}

/**
 * Brings a recipe's source into the cache: the upstream file from a premirror, `url` or a mirror,
 * and only when all of those fail, each verified alternate in turn.
 */
export async function fetchSource(ctx: SourceContext, recipe: Recipe, options: FetchOptions): Promise<void> {
  const { log } = options;
  if (ctx.overrides.has(recipe.name)) return;
  const pin = gitPin(recipe);
  if (pin) {
    await fetchGitSource(ctx, pin, options);
    return;
  }
  const present = await availableArtifact(ctx, recipe);
  if (present) {
    log(`in the cache: ${present.label}`);
    return;
  }
  const [primary, ...alternates] = artifactsOf(ctx, recipe);
  if (ctx.offline) throw new UserError(`${recipe.name}: ${primary!.label} is not in the cache and --offline forbids downloading it`);
  const failures: string[] = [];
  try {
    const used = await download(urlsOf(ctx, recipe), recipe.source!.sha256!, primary!.file, { retry: ctx.retry, ...options });
    log(used === 'cached' ? `in the cache: ${primary!.label}` : `downloaded ${primary!.label} from ${used}`);
    return;
  } catch (error) {
    if (error instanceof ChecksumMismatch || options.signal?.aborted || alternates.length === 0) throw error;
    failures.push(describeError(error));
    log(`upstream failed (${describeError(error)}); trying the verified alternates`);
  }
  for (const candidate of alternates) {
    try {
      await fetchAlternate(ctx.cacheDir, candidate.alternate!, log);
      log(`using alternate: ${candidate.label}`);
      return;
    } catch (error) {
      if (error instanceof ChecksumMismatch) throw error;
      failures.push(`${describeAlternate(candidate.alternate!)}: ${describeError(error)}`);
      log(`alternate failed: ${describeError(error)}`);
    }
  }
  throw new UserError(`${recipe.name}: no source could be fetched (${failures.join('; ')})`);
}

/**
 * A git pin: the repository if the cache has the commit; else its archive from a premirror,
 * verified by the recipe's sha256 (a file there with other bytes is an error, never used); else
 * the repository from a premirror or upstream.
 */
async function fetchGitSource(ctx: SourceContext, pin: GitPin, options: FetchOptions): Promise<void> {
  const { log } = options;
  const present = await gitProvider(ctx, pin);
  if (present !== undefined) {
    if (present !== 'git') log(`in the cache: ${present.label}`);
    return;
  }
  const archive = gitArchive(ctx, pin);
  const name = archiveName(pin);
  let archiveFailure: string | undefined;
  if (archive && ctx.premirrors.length > 0 && !ctx.offline) {
    try {
      const used = await download(inPremirrors(ctx, name), pin.archiveSha256!, archive.file, { retry: ctx.retry, ...options });
      log(`downloaded ${archive.label} from ${used}`);
      return;
    } catch (error) {
      if (error instanceof ChecksumMismatch || options.signal?.aborted) throw error;
      archiveFailure = describeError(error);
      log(`no premirror has ${name} (${archiveFailure}); fetching the repository`);
    }
  }
  try {
    await fetchGit(ctx.cacheDir, pin, { offline: ctx.offline, premirrors: ctx.premirrors, log });
  } catch (error) {
    if (!archive || options.signal?.aborted) throw error;
    const hint = archiveFailure ? `no premirror served ${name}: ${archiveFailure}` : `or put ${name} in a folder given with --mirror`;
    throw new UserError(`${describeError(error)}; ${hint}`, { cause: error });
  }
}

/**
 * When a recipe's git tree records, as a submodule, a repository that another recipe provides
 * (libhermit's `lwip` and the lwip recipe), the two pins should agree. Returns what disagrees.
 */
export async function pinDisagreements(ctx: SourceContext, recipe: Recipe, other: Recipe): Promise<string[]> {
  const mine = gitPin(recipe);
  const theirs = gitPin(other);
  if (!mine || !theirs || ctx.overrides.has(recipe.name) || ctx.overrides.has(other.name)) return [];
  const recorded = (await submodulePins(ctx.cacheDir, mine)).find((sub) => sameRepository(sub.url, theirs.url) || sub.path === other.name);
  if (!recorded || recorded.commit === theirs.commit) return [];
  return [
    `${recipe.name} records ${other.name} as its submodule ${recorded.path} at ${recorded.commit}, but recipe ${other.name} is pinned at ${theirs.commit}; the build uses the recipe's pin`,
  ];
}

/** A source tree in a work directory, and the file that records which artifact made it. */
export interface SourceTree extends UnpackTarget {
  readonly label: string;
}

export async function recordedSourceLabel(tree: SourceTree): Promise<string | undefined> {
  try {
    return readFileSync(tree.label, 'utf8').trim();
  } catch {
    return undefined;
  }
}

/** What the recipe's tree would be made from now: the git repository or a file in the cache. */
async function provider(ctx: SourceContext, recipe: Recipe): Promise<'git' | Artifact | undefined> {
  const pin = gitPin(recipe);
  return pin ? gitProvider(ctx, pin) : availableArtifact(ctx, recipe);
}

/**
 * What the recipe's tree is made from, a cached file hashed again just now (see `recheck`). A file
 * that changed is removed and the source fetched again; offline that is an error, as is a source
 * that is still not there once fetched.
 */
async function verifiedProvider(ctx: SourceContext, recipe: Recipe, options: FetchOptions): Promise<'git' | Artifact> {
  for (let fetched = false; ; fetched = true) {
    const found = await provider(ctx, recipe);
    if (found === 'git') return found;
    if (found) {
      const actual = await recheck(found.file, found.sha256);
      if (actual === found.sha256) {
        options.log(`verified sha256 ${actual} of ${found.file}`);
        return found;
      }
      if (actual !== undefined && ctx.offline) throw new ChangedDownload(recipe.name, found.file, found.sha256, actual);
      if (actual !== undefined) options.log(`${changedInCache(found.file, found.sha256, actual)}; fetching it again`);
    }
    if (fetched || ctx.offline) throw new UserError(`${recipe.name}: the source is not in the cache (run fetch)`);
    await fetchSource(ctx, recipe, options);
  }
}

/**
 * Fills `dest` with the recipe's source tree from the cache (or from its override) and records
 * which artifact it came from. Returns that artifact (undefined for git and overrides).
 */
export async function placeSource(ctx: SourceContext, recipe: Recipe, tree: SourceTree, log: (line: string) => void, signal?: AbortSignal): Promise<Artifact | undefined> {
  const override = ctx.overrides.get(recipe.name);
  let artifact: Artifact | undefined;
  if (override) {
    log(`using the local source ${override} (--source)`);
    await placeOverride(override, tree, log);
  } else {
    const from = await verifiedProvider(ctx, recipe, { log, signal });
    if (from === 'git') {
      const pin = gitPin(recipe)!;
      log(`exporting ${pin.url} at ${pin.commit}`);
      await exportGit(ctx.cacheDir, pin, tree.dest);
    } else {
      log(`unpacking ${from.label}`);
      await unpackArchive(from.file, tree, log, signal);
      if (!gitPin(recipe)) artifact = from;
    }
  }
  await recordSourceLabel(ctx, recipe, tree);
  return artifact;
}

/** Records that `tree` holds what the recipe's source is now (also what `--touch` marks). */
export async function recordSourceLabel(ctx: SourceContext, recipe: Recipe, tree: SourceTree): Promise<void> {
  await writeFile(tree.label, `${(await currentSourceLabel(ctx, recipe)) ?? ''}\n`);
}

/** The patch folders to apply, in order: the alternate's extra folder first, then the recipe's. */
export function patchDirsFor(ctx: SourceContext, recipe: Recipe, artifact: Artifact | undefined): string[] {
  const dirs: string[] = [];
  if (artifact?.alternate?.patches) dirs.push(path.resolve(ctx.toolchainDir, artifact.alternate.patches));
  if (recipe.patchDir) dirs.push(recipe.patchDir);
  return dirs;
}

/** Every patch folder a recipe may use (its own and its alternates'), for keys and planning. */
export function allPatchDirs(toolchainDir: string, recipe: Recipe): Array<{ prefix: string; dir: string }> {
  const dirs = (recipe.source?.alternates ?? []).flatMap((alternate, index) =>
    alternate.patches ? [{ prefix: `alternate-${index + 1}/`, dir: path.resolve(toolchainDir, alternate.patches) }] : [],
  );
  if (recipe.patchDir) dirs.push({ prefix: '', dir: recipe.patchDir });
  return dirs;
}
