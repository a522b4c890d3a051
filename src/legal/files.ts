import { constants } from 'node:fs';
import { chmod, copyFile, link, mkdir, mkdtemp, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { exists } from '../exists.js';
import { hashFile, sha256Hex } from '../hash.js';
import { writeDataMember } from '../package/deb.js';
import { walkTree } from '../package/tree.js';
import type { Recipe } from '../recipes/schema.js';
import { changedInCache, recheck } from '../sources/download.js';
import { commitTime, exportGit, gitCached, type GitPin } from '../sources/git.js';
import { listPatches } from '../sources/patch.js';
import { artifactsOf, gitArchive, gitPin, type SourceContext } from '../sources/source.js';
import { LegalInfoError, MANIFEST_FILE, SUMS_FILE, type ManifestRow, type PatchSeries, type PlannedFile, type Presence } from './plan.js';

/** What the cache holds of the recipe's possible sources, for `chooseSource`. */
export async function presenceOf(ctx: SourceContext, recipe: Recipe): Promise<Presence> {
  const pin = gitPin(recipe);
  const archive = pin ? gitArchive(ctx, pin) : undefined;
  const candidates = pin ? (archive ? [archive] : []) : artifactsOf(ctx, recipe);
  const files = new Set<string>();
  for (const artifact of candidates) if (await exists(artifact.file)) files.add(artifact.file);
  return { git: pin ? await gitCached(ctx.cacheDir, pin) : false, files };
}

/** The patches of each folder, in the order they are applied. */
export async function listSeries(dirs: readonly string[]): Promise<PatchSeries[]> {
  return Promise.all(dirs.map(async (dir) => ({ dir, files: await listPatches(dir) })));
}

/**
 * A hard link where the file system allows one, else a copy-on-write clone where it can make
 * one, else a copy: the sources are large (gcc's is 80 MB) and the cache's files are never
 * rewritten in place (a download is renamed into place, and every use hashes it again).
 */
export async function linkOrCopy(from: string, to: string): Promise<void> {
  try {
    await link(from, to);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'EXDEV' && code !== 'EPERM' && code !== 'EMLINK' && code !== 'ENOTSUP') throw error;
    await copyFile(from, to, constants.COPYFILE_FICLONE);
  }
}

/**
 * The pinned tree (with its submodules, when followed) as `<top>/...` in a .tar.gz, made the
 * way the .deb members are (owner root, modes 0644/0755, entries in byte order, gzip -9n) with
 * every date clamped to the commit's: the same commit gives the same bytes on any machine.
 * Returns the sha256 of what was written.
 */
export async function writeGitTarball(cacheDir: string, pin: GitPin, top: string, target: string): Promise<string> {
  const scratch = await mkdtemp(path.join(path.dirname(target), '.export-'));
  try {
    await exportGit(cacheDir, pin, path.join(scratch, top));
    const entries = await walkTree(scratch);
    const member = await writeDataMember(entries, { compression: 'gz', epoch: await commitTime(cacheDir, pin) });
    await writeFile(target, member.bytes);
    return sha256Hex(member.bytes);
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

/** Puts one planned file under `root` and hashes what is there. */
async function placeFile(file: PlannedFile, root: string, cacheDir: string): Promise<ManifestRow> {
  const target = path.join(root, ...file.path.split('/'));
  await mkdir(path.dirname(target), { recursive: true });
  const { from, ...row } = file;
  let sha256: string;
  if ('cached' in from) {
    // Hashed again before use, as the build does (a changed file is removed, so a fetch gets it
    // again): a file that changed in the cache must not go out as the source.
    const actual = await recheck(from.cached, from.sha256);
    if (actual === undefined) throw new LegalInfoError(`${file.recipe}: ${from.cached} is no longer in the cache (run \`hermit-toolchain fetch ${file.recipe}\`)`);
    if (actual !== from.sha256) {
      throw new LegalInfoError(`${file.recipe}: ${changedInCache(from.cached, from.sha256, actual)}; run \`hermit-toolchain fetch ${file.recipe}\` to download it again`);
    }
    await linkOrCopy(from.cached, target);
    sha256 = actual;
  } else if ('copy' in from) {
    // Copied, not linked: the patches are files of a working tree, which an editor may rewrite in place.
    await copyFile(from.copy, target);
    sha256 = await hashFile(target);
  } else if ('git' in from) {
    sha256 = await writeGitTarball(cacheDir, from.git, from.top, target);
  } else {
    await writeFile(target, from.text);
    sha256 = sha256Hex(from.text);
  }
  return { ...row, sha256 };
}

/** Places every file under `root`, one at a time (two large hashes at once only fight for the disk). */
export async function placeFiles(files: readonly PlannedFile[], root: string, cacheDir: string): Promise<ManifestRow[]> {
  const rows: ManifestRow[] = [];
  for (const file of files) rows.push(await placeFile(file, root, cacheDir));
  return rows;
}

/** Writes `text` as `name` in `root`. */
export async function writeText(root: string, name: string, text: string): Promise<void> {
  await writeFile(path.join(root, name), text);
}

/** The total size of the files placed, as stored (a hard link counts in full). */
export async function totalSize(root: string, rows: readonly ManifestRow[]): Promise<number> {
  let bytes = 0;
  for (const row of rows) bytes += (await stat(path.join(root, ...row.path.split('/')))).size;
  return bytes;
}

/**
 * Fills a fresh folder beside `out` and only then puts it in the place of `out`, so that a
 * failure (a source missing or changed, a full disk) leaves the previous output whole. An
 * existing `out` is replaced only when it is empty or a legal-info folder: `--out` naming some
 * other folder must not lose it.
 */
export async function replaceFolder<T>(out: string, fill: (dir: string) => Promise<T>): Promise<T> {
  if (await exists(out)) {
    const names = await readdir(out);
    if (names.length > 0 && !(names.includes(MANIFEST_FILE) && names.includes(SUMS_FILE))) {
      throw new LegalInfoError(`${out} exists and is not a legal-info folder (it has no ${MANIFEST_FILE} and ${SUMS_FILE}): give another --out, or remove it`);
    }
  }
  await mkdir(path.dirname(out), { recursive: true });
  const staging = await mkdtemp(path.join(path.dirname(out), `.${path.basename(out)}.part-`));
  let result: T;
  try {
    await chmod(staging, 0o755);
    result = await fill(staging);
  } catch (error) {
    await rm(staging, { recursive: true, force: true });
    throw error;
  }
  if (await exists(out)) {
    const old = `${staging}.old`;
    await rename(out, old);
    await rename(staging, out);
    await rm(old, { recursive: true, force: true });
  } else {
    await rename(staging, out);
  }
  return result;
}
