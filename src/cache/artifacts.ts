import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describeError } from '../errors.js';
import { hashFile } from '../hash.js';
import { readImage } from '../package/image.js';
import { listImage, packImage, restoreModes, truncateMtimes, unpackImage } from './archive.js';
import { emptyCounts, type ArtifactCounts } from './counts.js';
import type { LocalStore } from './local.js';
import { CorruptArtifact, compareFiles, parseManifest, serializeManifest, type Manifest } from './manifest.js';
import { RemoteUnavailable, type RemoteStore } from './remote.js';

/** Where a lookup found an image. */
export interface Hit {
  readonly manifest: Manifest;
  readonly from: 'local' | 'remote';
}

/** What identifies an image being stored. */
export interface ImageOrigin {
  readonly key: string;
  readonly recipe: string;
  readonly version: string;
  readonly task: Manifest['task'];
  /** The profile prefix, when the recipe is packaged: its package task refuses paths outside it. */
  readonly packagedIn?: string | undefined;
}

type Log = (line: string) => Promise<void> | void;

const short = (hex: string): string => hex.slice(0, 12);

/**
 * The artifact cache as a build uses it: the local store first, then the remote one. Nothing
 * here fails a build: a remote that stops answering is dropped for the rest of the run with one
 * warning, and a corrupt archive is discarded with a warning; the caller then builds instead.
 */
export class ArtifactCache {
  private remoteDown = false;

  constructor(
    readonly local: LocalStore,
    readonly remote: RemoteStore | undefined,
    private readonly options: { readonly write: boolean; readonly warn: (line: string) => void },
    /** Filled as the cache works (the caller may hold on to it). */
    readonly counts: ArtifactCounts = emptyCounts(),
  ) {}

  private get liveRemote(): RemoteStore | undefined {
    return this.remoteDown ? undefined : this.remote;
  }

  private remoteFailed(error: RemoteUnavailable): void {
    if (this.remoteDown) return;
    this.remoteDown = true;
    this.options.warn(`remote cache ${this.remote!.url} is unavailable (${error.message}); going on without it`);
  }

  private corrupt(what: string): void {
    this.counts.corrupt += 1;
    this.options.warn(`artifact cache: ${what}; discarded it, building instead`);
  }

  /** Finds the image of a task key: local manifest first, then the remote's. */
  async lookup(key: string, recipe: string): Promise<Hit | undefined> {
    try {
      const manifest = await this.local.lookup(key);
      if (manifest) return { manifest, from: 'local' };
    } catch (error) {
      if (!(error instanceof CorruptArtifact)) throw error;
      this.corrupt(`${recipe}: local ${error.message}`);
    }
    const remote = this.liveRemote;
    if (!remote) return undefined;
    try {
      const text = await remote.getManifest(key);
      return text === undefined ? undefined : { manifest: parseManifest(text, key), from: 'remote' };
    } catch (error) {
      if (error instanceof RemoteUnavailable) this.remoteFailed(error);
      else if (error instanceof CorruptArtifact) this.corrupt(`${recipe}: ${error.message} (from ${remote.url})`);
      else throw error;
      return undefined;
    }
  }

  /**
   * Replaces `imageDir` with the image of a hit, verifying the archive's sha256 and, after
   * unpacking in `staging` (beside it), the file list. Returns false when the image could not be
   * restored.
   */
  async restore(hit: Hit, { imageDir, staging }: { imageDir: string; staging: string }, log: Log): Promise<boolean> {
    const { manifest } = hit;
    const { sha256 } = manifest.archive;
    const what = `${manifest.recipe} ${manifest.task} ${short(manifest.key)}`;
    const archive = this.local.blobPath(sha256);
    if (!(await this.local.hasBlob(sha256))) {
      const remote = this.liveRemote;
      if (!remote) return false;
      const temp = await this.local.tempPath('download');
      await log(`downloading ${remote.blobUrl(sha256)} (${manifest.archive.size} bytes)`);
      let actual: string | undefined;
      try {
        actual = await remote.download(sha256, temp);
      } catch (error) {
        await rm(temp, { force: true });
        if (!(error instanceof RemoteUnavailable)) throw error;
        this.remoteFailed(error);
        return false;
      }
      if (actual === undefined) {
        this.options.warn(`artifact cache: ${what}: ${remote.url} has the manifest but not the archive ${short(sha256)}; building instead`);
        return false;
      }
      if (actual !== sha256) {
        await rm(temp, { force: true });
        this.corrupt(`${what}: the archive from ${remote.url} has sha256 ${short(actual)}, its manifest says ${short(sha256)}`);
        return false;
      }
      await this.local.adoptBlob(temp, sha256);
    } else {
      const actual = await hashFile(archive);
      if (actual !== sha256) {
        await this.local.discard(manifest.key, sha256);
        this.corrupt(`${what}: the local archive has sha256 ${short(actual)}, its manifest says ${short(sha256)}`);
        return false;
      }
    }
    await log(`verified archive sha256 ${sha256}`);

    // Swapped in only once complete and checked; whatever stops short of that leaves no staging behind.
    let swapped = false;
    try {
      await rm(staging, { recursive: true, force: true });
      let problems: string[];
      try {
        await unpackImage(archive, staging, manifest.files);
        await restoreModes(staging, manifest.files);
        problems = compareFiles(manifest.files, await listImage(staging));
      } catch (error) {
        problems = [describeError(error)];
      }
      if (problems.length > 0) {
        await this.local.discard(manifest.key, sha256);
        this.corrupt(`${what}: the archive does not hold the image its manifest lists (${problems.join('; ')})`);
        return false;
      }
      await rm(imageDir, { recursive: true, force: true });
      await mkdir(path.dirname(imageDir), { recursive: true });
      await rename(staging, imageDir);
      swapped = true;
    } finally {
      if (!swapped) await rm(staging, { recursive: true, force: true });
    }
    if (hit.from === 'remote') await this.local.putManifest(manifest);
    await this.local.touch(manifest.key);
    await log(`restored ${manifest.files.length} files from the ${hit.from} cache (built ${manifest.created})`);
    this.counts.restored += 1;
    return true;
  }

  /**
   * Stores a freshly built image locally and, when allowed, remotely. Only ever warns. An image
   * the build goes on to refuse is not stored: restored elsewhere, it would skip the task that
   * refuses it. listImage refuses what no image may hold; a packaged one is read as its package
   * task reads it.
   */
  async store(origin: ImageOrigin, imageDir: string, log: Log): Promise<void> {
    let manifest: Manifest;
    try {
      if (origin.packagedIn !== undefined) await readImage(origin.recipe, imageDir, origin.packagedIn);
      await truncateMtimes(imageDir);
      const files = await listImage(imageDir);
      const temp = await this.local.tempPath('archive');
      const archive = await packImage(imageDir, temp).catch(async (error: unknown) => {
        await rm(temp, { force: true });
        throw error;
      });
      manifest = {
        format: 1,
        key: origin.key,
        recipe: origin.recipe,
        version: origin.version,
        task: origin.task,
        archive: { ...archive, format: 'tar+zstd' },
        files,
        created: new Date().toISOString(),
      };
      await this.local.adoptBlob(temp, archive.sha256);
      await this.local.putManifest(manifest);
      this.counts.stored += 1;
      await log(`stored the image in the artifact cache: ${files.length} files, archive sha256 ${archive.sha256} (${archive.size} bytes)`);
    } catch (error) {
      this.options.warn(`artifact cache: cannot store ${origin.recipe}: ${describeError(error)}`);
      return;
    }
    const remote = this.liveRemote;
    if (!remote || !this.options.write) return;
    try {
      await remote.upload(manifest.key, serializeManifest(manifest), manifest.archive.sha256, this.local.blobPath(manifest.archive.sha256));
      await log(`uploaded to ${remote.url}`);
    } catch (error) {
      if (!(error instanceof RemoteUnavailable)) throw error;
      this.remoteFailed(error);
    }
  }

  /** Adds this run's counts to `stats.json` (a lost update between two concurrent builds is harmless). */
  async saveStats(): Promise<void> {
    const totals = await readStats(this.local.statsPath);
    for (const name of Object.keys(totals) as Array<keyof ArtifactCounts>) totals[name] += this.counts[name];
    const temp = await this.local.tempPath('stats');
    await writeFile(temp, `${JSON.stringify(totals)}\n`);
    await rename(temp, this.local.statsPath);
  }
}

export async function readStats(file: string): Promise<ArtifactCounts> {
  const totals = emptyCounts();
  try {
    const saved = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
    for (const name of Object.keys(totals) as Array<keyof ArtifactCounts>) {
      const value = saved[name];
      if (typeof value === 'number' && Number.isFinite(value)) totals[name] = value;
    }
  } catch {
    // No stats yet (or unreadable ones): start from zero.
  }
  return totals;
}
