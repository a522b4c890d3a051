import { mkdir, mkdtemp, readFile, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { HermitError, describeError } from '../errors.js';
import { runCaptured } from '../process/run.js';
import { digestHex, hashFileAll } from '../hash.js';
import { ControlError, field, formatStanza, parseStanzas, type Stanza } from './control.js';
import { gzipDeterministic } from './docs.js';
import { withSparseFile } from '../sparse-file.js';
import { describeConflicts, findFileConflicts } from './conflicts.js';
import { readDebControlMember } from './read-deb.js';
import { compareVersions } from './version.js';

/**
 * A flat apt repository (`deb [trusted=yes] file:/DIR ./`) over the .deb files of a folder:
 * Packages, Packages.gz and Release, optionally signed (InRelease, Release.gpg). Everything
 * in the unsigned index derives from the packages and the epoch, so it is reproducible.
 */

export class RepoError extends HermitError {}

export interface IndexedPackage {
  readonly file: string;
  readonly control: Stanza;
  readonly size: number;
  readonly md5: string;
  readonly sha256: string;
  /** The regular files it installs (from its md5sums). */
  readonly files: readonly string[];
}

/** Release-style date from SOURCE_DATE_EPOCH, as apt-ftparchive writes it. */
export function releaseDate(epoch: number): string {
  return new Date(epoch * 1000).toUTCString().replace(/GMT$/, 'UTC');
}

/** Packages: one stanza per package, by name, then version, then architecture. */
export function packagesFile(packages: readonly IndexedPackage[]): string {
  const sorted = [...packages].sort((a, b) => {
    const [nameA, nameB] = [field(a.control, 'Package')!, field(b.control, 'Package')!];
    if (nameA !== nameB) return nameA < nameB ? -1 : 1;
    const byVersion = compareVersions(field(a.control, 'Version')!, field(b.control, 'Version')!);
    if (byVersion !== 0) return byVersion;
    const [archA, archB] = [field(a.control, 'Architecture')!, field(b.control, 'Architecture')!];
    return archA < archB ? -1 : archA > archB ? 1 : 0;
  });
  return sorted
    .map((p) => {
      const description = p.control.filter(([name]) => name === 'Description');
      const stanza: Stanza = [
        ...p.control.filter(([name]) => name !== 'Description'),
        ['Filename', `./${p.file}`],
        ['Size', String(p.size)],
        ['MD5sum', p.md5],
        ['SHA256', p.sha256],
        ...description,
      ];
      return formatStanza(stanza);
    })
    .join('\n');
}

/** The .deb files a Packages file lists (Filename without "./") with their sizes. */
export function listedDebs(packagesText: string): Map<string, number> {
  const listed = new Map<string, number>();
  for (const stanza of parseStanzas(packagesText, 'Packages')) {
    const file = field(stanza, 'Filename');
    if (file) listed.set(file.replace(/^\.\//, ''), Number(field(stanza, 'Size')));
  }
  return listed;
}

/**
 * Whether the unsigned index of `dir` already describes its .deb files: the same names and
 * sizes, and none written after Packages. Writing it again would give the same bytes, so a
 * build that packaged nothing need not read every .deb to find that out. A signed index is
 * always written again: the key asked for may not be the one that signed it.
 */
export async function indexIsCurrent(dir: string, signed: boolean): Promise<boolean> {
  if (signed) return false;
  try {
    const index = await stat(path.join(dir, 'Packages'));
    const listed = listedDebs(await readFile(path.join(dir, 'Packages'), 'utf8'));
    const names = await readdir(dir);
    const debs = names.filter((name) => name.endsWith('.deb'));
    if (debs.length !== listed.size || names.includes('InRelease')) return false;
    for (const name of debs) {
      const deb = await stat(path.join(dir, name));
      if (listed.get(name) !== deb.size || deb.mtimeMs > index.mtimeMs) return false;
    }
    return true;
  } catch {
    return false;
  }
}

/** Release: what the index files are, with their sizes and checksums. */
export function releaseFile(files: ReadonlyArray<readonly [name: string, data: Uint8Array]>, architectures: readonly string[], epoch: number): string {
  const lines = [
    'Origin: hermit-toolchain',
    'Label: hermit-toolchain',
    `Architectures: ${architectures.join(' ')}`,
    `Date: ${releaseDate(epoch)}`,
    'Description: HermitCore cross toolchain packages built by hermit-toolchain',
  ];
  for (const [title, algorithm] of [
    ['MD5Sum', 'md5'],
    ['SHA256', 'sha256'],
  ] as const) {
    lines.push(`${title}:`);
    for (const [name, data] of files) lines.push(` ${digestHex(algorithm, data)} ${String(data.length).padStart(16)} ${name}`);
  }
  return `${lines.join('\n')}\n`;
}

/** Reads every .deb of the folder, in name order. */
export async function scanPackages(dir: string): Promise<IndexedPackage[]> {
  const names = (await readdir(dir)).filter((name) => name.endsWith('.deb')).sort();
  const packages: IndexedPackage[] = [];
  const seen = new Map<string, string>();
  for (const name of names) {
    const { bytes, size } = await readDebHead(path.join(dir, name));
    const { stanza: control, files } = await readDebControlMember(bytes, path.join(dir, name));
    for (const required of ['Package', 'Version', 'Architecture']) {
      if (!field(control, required)) throw new RepoError(`${path.join(dir, name)}: the control file has no ${required} field`);
    }
    const identity = ['Package', 'Version', 'Architecture'].map((f) => field(control, f)).join(' ');
    const clash = seen.get(identity);
    if (clash) throw new RepoError(`${name} and ${clash} hold the same package (${identity}); remove one`);
    seen.set(identity, name);
    const sums = await hashFileAll(path.join(dir, name), ['md5', 'sha256']);
    packages.push({ file: name, control, size, md5: sums.md5, sha256: sums.sha256, files });
  }
  return packages;
}

/** Where the size of the member after `debian-binary` is written in a .deb (see writeDeb). */
const CONTROL_SIZE_FIELD = { offset: 8 + 60 + 4 + 48, length: 10 };

/**
 * A .deb as far as readDebControlMember reads it (see withSparseFile): everything up to the data
 * member's header, so a gcc-sized package costs its control member. A file too short for that
 * is read whole, for the reader to say what is wrong with it.
 */
async function readDebHead(file: string): Promise<{ bytes: Buffer; size: number }> {
  return withSparseFile(file, async ({ bytes, size, read }) => {
    const { offset, length } = CONTROL_SIZE_FIELD;
    const fieldEnd = Math.min(size, offset + length);
    await read(0, fieldEnd);
    const controlSize = Number(bytes.subarray(offset, offset + length).toString('latin1').trim());
    const head = Number.isSafeInteger(controlSize) ? offset + length + 2 + controlSize + 1 + 60 : size;
    await read(fieldEnd, Math.min(size, head) - fieldEnd);
    return { bytes, size };
  });
}

export interface SignOptions {
  /** A key id, fingerprint or user id gpg can sign with. */
  readonly keyId: string;
  /** Environment of gpg (e.g. GNUPGHOME); the process's own by default. */
  readonly env?: NodeJS.ProcessEnv;
}

export interface RepoOptions {
  readonly epoch: number;
  readonly sign?: SignOptions | undefined;
}

async function gpg(args: readonly string[], sign: SignOptions): Promise<void> {
  const env = sign.env ? Object.fromEntries(Object.entries(sign.env).filter((entry): entry is [string, string] => entry[1] !== undefined)) : undefined;
  const result = await runCaptured(['gpg', '--batch', '--yes', '--local-user', sign.keyId, '--digest-algo', 'SHA256', ...args], env ? { env } : {});
  if (result.exitCode !== 0) {
    const why = result.exitCode === 127 ? 'gpg is not installed' : result.stderr.trim().split('\n').slice(-3).join('; ');
    throw new RepoError(`signing the Release file with ${sign.keyId} failed: ${why}`);
  }
}

/** The index files in the order they are put in place: what Release describes first, the signatures last. */
const INDEX_FILES = ['Packages', 'Packages.gz', 'Release', 'InRelease', 'Release.gpg'] as const;

/**
 * Puts a new index in place of the old one. Everything is written (and signed) in a folder
 * beside it first, so a full disk or a failed signature leaves the old index whole; only then
 * are the files renamed over the old ones, which writes no data, so a full disk cannot stop it
 * halfway. A signature the new index does not have goes before the new Release arrives: apt
 * would prefer an old InRelease and check the new Packages against it.
 */
async function writeIndex(dir: string, files: ReadonlyArray<readonly [name: string, data: Uint8Array]>, sign: SignOptions | undefined): Promise<void> {
  let staging: string | undefined;
  try {
    staging = await mkdtemp(path.join(dir, '.index-'));
    for (const [name, data] of files) await writeFile(path.join(staging, name), data);
    if (sign) {
      const release = path.join(staging, 'Release');
      await gpg(['--clearsign', '--output', path.join(staging, 'InRelease'), release], sign);
      await gpg(['--armor', '--detach-sign', '--output', path.join(staging, 'Release.gpg'), release], sign);
    } else {
      for (const name of ['InRelease', 'Release.gpg']) await rm(path.join(dir, name), { force: true });
    }
    const staged = new Set(await readdir(staging));
    for (const name of INDEX_FILES) if (staged.has(name)) await rename(path.join(staging, name), path.join(dir, name));
  } catch (error) {
    if (error instanceof RepoError) throw error;
    throw new RepoError(`${dir}: cannot write the apt index (${describeError(error)}); the index there is as it was`, { cause: error });
  } finally {
    if (staging) await rm(staging, { recursive: true, force: true });
  }
}

/**
 * Writes the index of the .deb files in `dir`. An old signature is removed when the index is
 * not signed again: it would no longer match the new Release and apt would refuse it.
 */
export async function writeRepository(dir: string, options: RepoOptions): Promise<IndexedPackage[]> {
  await mkdir(dir, { recursive: true });
  const packages = await scanPackages(dir);
  let conflicts;
  try {
    conflicts = findFileConflicts(packages.map((p) => ({ stanza: p.control, files: p.files })));
  } catch (error) {
    if (error instanceof ControlError) throw new RepoError(`${dir}: ${error.message}`, { cause: error });
    throw error;
  }
  if (conflicts.length > 0) {
    throw new RepoError(
      `${dir}: dpkg would refuse to install these packages together: ${describeConflicts(conflicts).join('; ')} (give each file one owner, e.g. remove it from one recipe's image in its install steps)`,
    );
  }
  const packagesText = Buffer.from(packagesFile(packages));
  const packagesGz = gzipDeterministic(packagesText);
  const architectures = [...new Set(packages.map((p) => field(p.control, 'Architecture')!))].sort();
  const release = releaseFile(
    [
      ['Packages', packagesText],
      ['Packages.gz', packagesGz],
    ],
    architectures,
    options.epoch,
  );
  await writeIndex(
    dir,
    [
      ['Packages', packagesText],
      ['Packages.gz', packagesGz],
      ['Release', Buffer.from(release)],
    ],
    options.sign,
  );
  return packages;
}
