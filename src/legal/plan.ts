import path from 'node:path';
import { UserError } from '../errors.js';
import type { Recipe } from '../recipes/schema.js';
import { debPath } from '../sources/alternate.js';
import { archiveName, type GitPin } from '../sources/git.js';
import { artifactsOf, gitArchive, gitPin, type Artifact, type SourceContext } from '../sources/source.js';

/**
 * What `legal-info` writes, decided without touching the disk: which source and patches each
 * recipe's build used, where each lands in the output folder, and the text of the manifest and
 * of SHA256SUMS. The effects (looking at the cache, copying, hashing) are in files.ts.
 */

export class LegalInfoError extends UserError {}

/** What the cache holds of a recipe's possible sources (gathered by files.ts). */
export interface Presence {
  /** The pinned commit (and its submodules, when followed) is in the cached repository. */
  readonly git: boolean;
  /** The candidate files of the download cache that exist. */
  readonly files: ReadonlySet<string>;
}

/** The source a recipe's build used: a file of the download cache, or the cached repository. */
export type SourceChoice =
  | { readonly kind: 'file'; readonly artifact: Artifact; readonly origin: string }
  | { readonly kind: 'git'; readonly pin: GitPin; readonly origin: string };

/** A source the build used that the cache no longer has: one line naming it. */
export interface MissingSource {
  readonly kind: 'missing';
  readonly line: string;
}

/** The candidate files of a recipe in the order a build tries them (release, then alternates). */
function candidateFiles(ctx: SourceContext, recipe: Recipe): Artifact[] {
  const pin = gitPin(recipe);
  if (!pin) return artifactsOf(ctx, recipe);
  const archive = gitArchive(ctx, pin);
  return archive ? [archive] : [];
}

function fileOrigin(recipe: Recipe, artifact: Artifact, ctx: SourceContext): string {
  const pin = gitPin(recipe);
  if (pin) return `git ${pin.url} at ${pin.commit}, as the verified archive ${path.basename(artifact.file)}`;
  const alternate = artifact.alternate;
  if (alternate) {
    const deb = path.basename(debPath(ctx.cacheDir, alternate));
    return `${alternate.file} taken out of Debian package ${alternate.deb.package}=${alternate.deb.version} (${deb}, sha256 ${alternate.deb.sha256})`;
  }
  return recipe.source!.url!;
}

function gitOrigin(pin: GitPin): string {
  return `git ${pin.url} at ${pin.commit}${pin.submodules ? ' with its submodules' : ''}, made here from the cached repository`;
}

/** Said of a source the work directory has no record of: its image came from the artifact cache. */
const UNRECORDED = 'not unpacked by the last build (its image came from the artifact cache); what a build uses now: ';

/**
 * Which source the last build used, from the label its unpack recorded (`<work>/state/<recipe>/source`).
 * Without a label (the recipe was satisfied from the artifact cache, whose keys cover the release
 * and every alternate alike) it is what a build would use now: the first source the cache holds.
 */
export function chooseSource(ctx: SourceContext, recipe: Recipe, recorded: string | undefined, presence: Presence): SourceChoice | MissingSource {
  const pin = gitPin(recipe);
  const files = candidateFiles(ctx, recipe);
  const notCached = (what: string): MissingSource => ({
    kind: 'missing',
    line: `${recipe.name}: ${what} is not in the cache ${ctx.cacheDir} (run \`hermit-toolchain fetch ${recipe.name}\`)`,
  });
  if (recorded !== undefined && recorded !== '') {
    if (recorded.startsWith('override ')) {
      throw new LegalInfoError(
        `${recipe.name}: the last build used a local source (${recorded.slice('override '.length)}, given with --source); legal-info lists pinned sources only: build it without --source first`,
      );
    }
    if (pin && recorded === `git ${pin.url} ${pin.commit}`) {
      return presence.git ? { kind: 'git', pin, origin: gitOrigin(pin) } : notCached(`git ${pin.url} at ${pin.commit}`);
    }
    const used = files.find((artifact) => artifact.label === recorded);
    if (!used) throw new LegalInfoError(`${recipe.name}: the last build unpacked "${recorded}", which is not one of the recipe's sources now: build it again first`);
    return presence.files.has(used.file) ? { kind: 'file', artifact: used, origin: fileOrigin(recipe, used, ctx) } : notCached(used.label);
  }
  if (pin && presence.git) return { kind: 'git', pin, origin: `${UNRECORDED}${gitOrigin(pin)}` };
  const present = files.find((artifact) => presence.files.has(artifact.file));
  if (present) return { kind: 'file', artifact: present, origin: `${UNRECORDED}${fileOrigin(recipe, present, ctx)}` };
  const labels = [...(pin ? [`git ${pin.url} at ${pin.commit}`] : []), ...files.map((artifact) => artifact.label)];
  return notCached(labels.join(' or '));
}

/** One folder of patches, applied in the order of `files` (absolute paths). */
export interface PatchSeries {
  readonly dir: string;
  readonly files: readonly string[];
}

export type FileKind = 'source' | 'patch' | 'series';

/** Where a file's bytes come from. */
export type FileFrom =
  /** A file of the download cache, which must still hash to `sha256`. */
  | { readonly cached: string; readonly sha256: string }
  /** A file of the toolchain (a patch). */
  | { readonly copy: string }
  /** A tarball of the pinned tree, made from the cached repository; `top` is its one folder. */
  | { readonly git: GitPin; readonly top: string }
  | { readonly text: string };

export interface PlannedFile {
  readonly recipe: string;
  /** The recipe's package, or '' for a recipe that is not shipped but was built from. */
  readonly package: string;
  readonly version: string;
  /** The recipe's `license` (SPDX). */
  readonly license: string;
  readonly kind: FileKind;
  /** Relative to the output folder, with `/`. */
  readonly path: string;
  /** Where the file came from, for a reader of the manifest. */
  readonly origin: string;
  readonly from: FileFrom;
}

export interface RecipeSources {
  readonly recipe: Recipe;
  readonly packageName: string | undefined;
  readonly source: SourceChoice;
  /** The patch folders in the order they were applied (the alternate's, then the recipe's). */
  readonly patches: readonly PatchSeries[];
  readonly toolchainDir: string;
}

/** sha256sum writes a name with a newline or a backslash escaped: such names are refused instead. */
function checkedName(recipe: string, name: string): string {
  if (/[\n\r\\]/.test(name)) throw new LegalInfoError(`${recipe}: cannot list the file name ${JSON.stringify(name)} in SHA256SUMS`);
  return name;
}

/**
 * Where a patch folder goes under `patches/`: its path below the toolchain's `patches/`
 * (`gcc/12.2.0-debian`), which keeps two folders with files of the same names apart.
 */
function seriesFolder(toolchainDir: string, dir: string, index: number): string {
  const relative = path.relative(path.join(toolchainDir, 'patches'), dir);
  if (relative === '' || relative.startsWith('..') || path.isAbsolute(relative)) return `series-${index + 1}`;
  return relative.split(path.sep).join('/');
}

/**
 * The files of one recipe: `sources/<recipe>-<version>/` holds the source archive as the build
 * used it, and `patches/` below it the patch series with a quilt `series` file that says their
 * order (each applied with patch -p1).
 */
export function planRecipeFiles(input: RecipeSources): PlannedFile[] {
  const { recipe, source } = input;
  const folder = `sources/${recipe.name}-${recipe.version.replace(/\//g, '_')}`;
  const row = { recipe: recipe.name, package: input.packageName ?? '', version: recipe.version, license: recipe.license };
  const files: PlannedFile[] = [];
  if (source.kind === 'file') {
    const name = checkedName(recipe.name, path.basename(source.artifact.file));
    files.push({ ...row, kind: 'source', path: `${folder}/${name}`, origin: source.origin, from: { cached: source.artifact.file, sha256: source.artifact.sha256 } });
  } else {
    const name = archiveName(source.pin);
    files.push({ ...row, kind: 'source', path: `${folder}/${name}`, origin: source.origin, from: { git: source.pin, top: name.replace(/\.tar\.gz$/, '') } });
  }
  const order: string[] = [];
  input.patches.forEach((series, index) => {
    const sub = seriesFolder(input.toolchainDir, series.dir, index);
    for (const file of series.files) {
      const entry = `${sub}/${checkedName(recipe.name, path.basename(file))}`;
      order.push(entry);
      const relative = path.relative(input.toolchainDir, file);
      const origin = relative.startsWith('..') || path.isAbsolute(relative) ? file : relative.split(path.sep).join('/');
      files.push({ ...row, kind: 'patch', path: `${folder}/patches/${entry}`, origin, from: { copy: file } });
    }
  });
  if (order.length > 0) {
    files.push({
      ...row,
      kind: 'series',
      path: `${folder}/patches/series`,
      origin: 'the order the patches were applied in (patch -p1), as quilt reads it',
      from: { text: order.map((entry) => `${entry}\n`).join('') },
    });
  }
  return files;
}

/** Every recipe's files, refusing two that would land on one path. */
export function planFiles(recipes: readonly RecipeSources[]): PlannedFile[] {
  const files = recipes.flatMap(planRecipeFiles);
  const seen = new Map<string, string>();
  for (const file of files) {
    const other = seen.get(file.path);
    if (other !== undefined) throw new LegalInfoError(`${file.recipe}: ${file.path} would also hold a file of ${other}`);
    seen.set(file.path, file.recipe);
  }
  return files;
}

export interface ManifestRow extends Omit<PlannedFile, 'from'> {
  readonly sha256: string;
}

export const MANIFEST_FILE = 'manifest.csv';
export const SUMS_FILE = 'SHA256SUMS';
export const MANIFEST_COLUMNS = ['recipe', 'package', 'version', 'license', 'kind', 'path', 'sha256', 'origin'] as const;

/** RFC 4180: a field with a comma, a quote or a line break is quoted, its quotes doubled. */
function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/** The manifest: a header line, then one line per file, in the order given. */
export function manifestCsv(rows: readonly ManifestRow[]): string {
  const lines = [MANIFEST_COLUMNS.join(','), ...rows.map((row) => MANIFEST_COLUMNS.map((column) => csvField(row[column])).join(','))];
  return lines.map((line) => `${line}\n`).join('');
}

/** The text `sha256sum` writes (and `sha256sum -c` reads): digest, two spaces, path. */
export function sha256Sums(entries: ReadonlyArray<{ readonly path: string; readonly sha256: string }>): string {
  return entries.map((entry) => `${entry.sha256}  ${entry.path}\n`).join('');
}
