import { mkdir, open, readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { describeError } from '../errors.js';
import { readElfIdentity, type ElfIdentity } from '../formats/elf-dynamic.js';
import type { Profile } from '../recipes/profile.js';
import type { Recipe } from '../recipes/schema.js';
import { isArchive } from '../formats/ar.js';
import { ARCH_MACHINES, isHostBinary, isSharedLibraryName, targetDirs, type Placement } from './classify.js';
import { formatDescription, formatStanza, pinOwnDepends, wrap, type OwnVersions, type Stanza } from './control.js';
import { writeControlMember, writeDataMemberTo, writeDeb, type DataFile } from './deb.js';
import { changelogText, copyrightFile, gzipDeterministic, lintianOverrides, type DocInputs } from './docs.js';
import { PackageError } from './errors.js';
import { readImage } from './image.js';
import { simplifyDepends } from './relations.js';
import { hostArchitecture, shlibDepends } from './shlibs.js';
import { fileHasDebugOrSymbols, stripHostBinary } from './strip.js';
import { withParents, type TreeEntry } from './tree.js';
import { VersionError, debFileName, parseVersion } from './version.js';

/** The full Debian version of a recipe's package: upstream version and the profile's revision. */
export function packageVersion(recipe: Pick<Recipe, 'name' | 'version'>, profile: Pick<Profile, 'revision'>): string {
  const version = `${recipe.version}-${profile.revision}`;
  try {
    parseVersion(version);
  } catch (error) {
    if (error instanceof VersionError) throw new PackageError(`recipe ${recipe.name}: ${error.message}`, [], { cause: error });
    throw error;
  }
  return version;
}

/** Every package this toolchain builds, with its full version (to pin Depends between them). */
export function ownVersions(recipes: Iterable<Recipe>, profile: Pick<Profile, 'revision'>): Map<string, string> {
  const versions = new Map<string, string>();
  for (const recipe of recipes) if (recipe.package) versions.set(recipe.package.name, packageVersion(recipe, profile));
  return versions;
}

export interface RecipePackageOptions {
  readonly recipe: Recipe;
  readonly profile: Profile;
  readonly own: OwnVersions;
  /** The recipe's install image (`<work>/image/<recipe>`); a meta recipe has none. */
  readonly imageDir: string;
  readonly outDir: string;
  /** A folder of the package's own for dpkg-shlibdeps (made, then removed). */
  readonly scratchDir: string;
  readonly threads?: number;
  readonly log?: (line: string) => Promise<void>;
}

export interface BuiltPackage {
  readonly file: string;
  readonly name: string;
  readonly version: string;
  readonly architecture: string;
  readonly size: number;
  readonly sha256: string;
}

async function readHead(file: string, length: number): Promise<Buffer> {
  const handle = await open(file, 'r');
  try {
    const buffer = Buffer.alloc(length);
    const { bytesRead } = await handle.read(buffer, 0, length, 0);
    return buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

/** The generated long description, when the recipe gives none. */
function generatedDescription(recipe: Recipe, profile: Profile, empty: boolean): string {
  if (empty) {
    // lintian recognises a metapackage (empty on purpose) by that word in its description.
    return wrap(
      `This metapackage of the HermitCore cross toolchain for ${profile.target} installs the packages it depends on (${recipe.name} ${recipe.version}).`,
      72,
    ).join('\n');
  }
  return wrap(
    `This package is part of the HermitCore cross toolchain for ${profile.target} and installs under ${profile.prefix}. ` +
      `It holds ${recipe.name} ${recipe.version}, built from the upstream sources by hermit-toolchain.`,
    72,
  ).join('\n');
}

interface Classified {
  /** Host binaries by image path, with the file holding each. */
  readonly hostBinaries: ReadonlyMap<string, string>;
  /** Target folders that hold objects or archives. */
  readonly targetCodeDirs: readonly string[];
}

/**
 * Looks at the first bytes of every file. Which files are host binaries decides the
 * architecture and the lintian overrides, and those are part of the data member itself, so
 * this happens before anything is written.
 */
async function classifyImage(image: readonly TreeEntry[], where: Placement, hostArch: string): Promise<Classified> {
  const hostMachine = ARCH_MACHINES[hostArch];
  const hostBinaries = new Map<string, string>();
  const targetCodeDirs = new Set<string>();
  for (const entry of image) {
    if (entry.type !== 'file' || typeof entry.source !== 'string') continue;
    const head = await readHead(entry.source, 64);
    let identity: ElfIdentity | undefined;
    try {
      identity = head.length >= 52 ? readElfIdentity(head) : undefined;
    } catch (error) {
      throw new PackageError(`/${entry.path}: ${describeError(error)}`, [], { cause: error });
    }
    if (identity && hostMachine === undefined) {
      throw new PackageError(`cannot tell host binaries from target code on a ${hostArch} host (known: ${Object.keys(ARCH_MACHINES).join(', ')})`, [`/${entry.path}`]);
    }
    if (identity && isHostBinary(entry.path, identity, where, hostMachine!)) {
      hostBinaries.set(entry.path, entry.source);
    } else if (identity || isArchive(head)) {
      // Objects and archives of objects: what lintian calls a binary or object.
      for (const dir of targetDirs(where)) if (entry.path.startsWith(dir)) targetCodeDirs.add(dir);
    }
  }
  return { hostBinaries, targetCodeDirs: [...targetCodeDirs].sort() };
}

/** The files we add under /usr/share: copyright, changelog, lintian overrides. */
function docEntries(recipe: Recipe, profile: Profile, version: string, overrides: string): TreeEntry[] {
  const name = recipe.package!.name;
  const inputs: DocInputs = {
    packageName: name,
    version,
    recipeName: recipe.name,
    upstreamVersion: recipe.version,
    license: recipe.license,
    homepage: recipe.homepage,
    maintainer: profile.maintainer,
    target: profile.target,
    epoch: profile.sourceDateEpoch,
  };
  const files: Array<[string, Uint8Array]> = [
    [`usr/share/doc/${name}/copyright`, Buffer.from(copyrightFile(inputs))],
    [`usr/share/doc/${name}/changelog.Debian.gz`, gzipDeterministic(changelogText(inputs))],
  ];
  if (overrides) files.push([`usr/share/lintian/overrides/${name}`, Buffer.from(overrides)]);
  return files.map(([file, data]) => ({ path: file, type: 'file', mode: 0o644, mtime: profile.sourceDateEpoch, size: data.length, source: data }));
}

/** md5sums: every file and hard link, by path, as dh_md5sums writes it. */
function md5sumsFile(files: readonly DataFile[]): string {
  const sums = new Map(files.map((file) => [file.path, file.md5]));
  return files
    .map((file) => [file.path.slice(2), sums.get(file.linkOf ?? file.path)!] as const)
    .sort(([a], [b]) => Buffer.compare(Buffer.from(a), Buffer.from(b)))
    .map(([file, sum]) => `${sum}  ${file}\n`)
    .join('');
}

/**
 * Builds the .deb of one recipe from its install image, into `outDir`, replacing older builds
 * of the same package there. Refuses an image with anything outside the profile prefix.
 */
export async function buildRecipePackage(options: RecipePackageOptions): Promise<BuiltPackage> {
  const { recipe, profile } = options;
  const spec = recipe.package;
  if (!spec) throw new PackageError(`recipe ${recipe.name} has no package section`);
  const log = options.log ?? (async () => {});
  const version = packageVersion(recipe, profile);
  const epoch = profile.sourceDateEpoch;
  const packOptions = { compression: profile.compression, epoch, ...(options.threads ? { threads: options.threads } : {}) };
  const where: Placement = { prefix: profile.prefix.replace(/^\/+/, ''), target: profile.target };

  // Shared libraries are not programs: 0644 whatever the linker made them (as dh_fixperms does).
  const image = (await readImage(recipe.name, options.imageDir, profile.prefix)).map((entry) =>
    entry.type === 'file' && isSharedLibraryName(entry.path) ? { ...entry, mode: entry.mode & ~0o111 } : entry,
  );
  const hostArch = await hostArchitecture();
  const { hostBinaries, targetCodeDirs } = await classifyImage(image, where, hostArch);
  const architecture = hostBinaries.size > 0 ? hostArch : 'all';
  const overrides = lintianOverrides({
    packageName: spec.name,
    prefix: where.prefix,
    usesPrefix: image.some((entry) => entry.path !== ''),
    targetDirsWithCode: architecture === 'all' ? targetCodeDirs : [],
  });
  const entries = [...image, ...docEntries(recipe, profile, version, overrides)];

  // The symbols a binary uses are in its dynamic symbol table, which strip keeps: the image's
  // files serve dpkg-shlibdeps as well as the stripped copies would.
  const shlibs = await shlibDepends({
    packageName: spec.name,
    scratch: options.scratchDir,
    binaries: hostBinaries,
    links: new Map(image.filter((entry) => entry.type === 'symlink').map((entry) => [entry.path, entry.linkTarget!])),
    log,
  });

  let stripped = 0;
  await mkdir(options.outDir, { recursive: true });
  const fileName = debFileName(spec.name, version, architecture);
  const file = path.join(options.outDir, fileName);
  // The compressed data.tar waits beside the package: a gcc-sized one is not held in memory.
  // So does each stripped binary, which is streamed from there like any file.
  const dataFile = `${file}.data-${process.pid}`;
  const strippedFile = `${file}.stripped-${process.pid}`;
  try {
    const data = await writeDataMemberTo(dataFile, withParents(entries, epoch), packOptions, async (entry) => {
      if (!hostBinaries.has(entry.path) || typeof entry.source !== 'string') return undefined;
      try {
        // Only the headers are read to decide.
        if (!(await fileHasDebugOrSymbols(entry.source))) return undefined;
        stripped += 1;
        await stripHostBinary(entry.source, entry.path, strippedFile);
        return strippedFile;
      } catch (error) {
        throw new PackageError(`/${entry.path}: ${describeError(error)}`, [], { cause: error });
      }
    });

    const depends = simplifyDepends([...pinOwnDepends(spec.depends, options.own), ...shlibs]);
    const stanza: Stanza = [
      ['Package', spec.name],
      ['Version', version],
      ['Architecture', architecture],
      ['Maintainer', profile.maintainer],
      ['Installed-Size', String(data.installedSizeKiB)],
      ...(depends.length > 0 ? [['Depends', depends.join(', ')] as const] : []),
      ['Section', spec.section],
      ['Priority', spec.priority],
      ...(recipe.homepage ? [['Homepage', recipe.homepage] as const] : []),
      ['Description', formatDescription(recipe.summary, spec.description ?? generatedDescription(recipe, profile, image.length === 0))],
    ];
    const control = await writeControlMember(
      [
        { name: 'control', data: Buffer.from(formatStanza(stanza)) },
        { name: 'md5sums', data: Buffer.from(md5sumsFile(data.files)) },
      ],
      packOptions,
    );
    const written = await writeDeb(file, control, dataFile, packOptions);
    for (const other of await readdir(options.outDir)) {
      if (other !== fileName && other.startsWith(`${spec.name}_`) && other.endsWith('.deb')) {
        await rm(path.join(options.outDir, other), { force: true });
        await log(`removed the older build ${other}`);
      }
    }
    await log(
      `wrote ${file}: ${data.files.length} files, Architecture ${architecture}, Installed-Size ${data.installedSizeKiB} KiB, ` +
        `${stripped} host binaries stripped, Depends: ${depends.join(', ') || '(none)'}`,
    );
    return { file, name: spec.name, version, architecture, ...written };
  } finally {
    await rm(dataFile, { force: true });
    await rm(strippedFile, { force: true });
  }
}
