import { copyFile, link, mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describeError } from '../errors.js';
import { StepFailure, explainExit, runCaptured, type CapturedRun } from '../process/run.js';
import { isSharedLibraryName } from './classify.js';
import { PackageError } from './errors.js';
import { formatRelation, parseRelations } from './relations.js';

/**
 * Shared-library dependencies, computed by dpkg's own `dpkg-shlibdeps`: for each library a host
 * binary needs it reads the library package's `symbols` file (else its `shlibs` file) and asks
 * for the oldest version that provides the symbols the binaries use (`libc6 (>= 2.34)`), not the
 * version installed here. It runs on a package build tree laid out as dh_shlibdeps leaves one
 * (`debian/PKG/` with a `DEBIAN/` folder), so `$ORIGIN` in an RPATH and the libraries the package
 * ships resolve inside the package. The pure parts (its arguments, its output, its complaints)
 * are apart from the one function that runs it.
 */

/** A dpkg-shlibdeps failure: `details` are its messages, with the package's paths as installed. */
export class ShlibdepsError extends PackageError {}

/** The package build tree inside the scratch folder: `debian/PKG`, as dh_shlibdeps has it. */
export function packageTree(packageName: string): string {
  return `debian/${packageName}`;
}

/** The least debian/control dpkg-shlibdeps reads (it refuses to run without one). */
export function scratchControl(packageName: string): string {
  return `Source: ${packageName}\n\nPackage: ${packageName}\nArchitecture: any\n`;
}

/**
 * The command line, run in the scratch folder. Every binary is given with `-e` (executables and
 * shared objects alike: `-e` only names the field, Depends); `-x` keeps the package from
 * depending on itself through a copy of it installed here; `-l` names the folders of the
 * libraries the package ships, so a binary that finds them without an RPATH (through
 * LD_LIBRARY_PATH, say) is satisfied by the package; `--ignore-missing-info` accepts a library
 * that no package describes (one built into /usr/local, say) rather than failing.
 */
export function shlibdepsArgv(packageName: string, binaries: readonly string[]): string[] {
  const tree = packageTree(packageName);
  const libraryDirs = [...new Set(binaries.filter(isSharedLibraryName).map((file) => `/${path.posix.dirname(file)}`))].sort();
  return [
    'dpkg-shlibdeps',
    '-O',
    '--ignore-missing-info',
    `-x${packageName}`,
    ...libraryDirs.map((dir) => `-l${dir}`),
    ...binaries.map((file) => `-e${tree}/${file}`),
  ];
}

/**
 * The relation groups of `shlibs:Depends=...` in dpkg-shlibdeps' output (-O), in its order,
 * each written as dpkg writes it. Nothing when it found no dependency.
 */
export function parseShlibdepsOutput(stdout: string): string[] {
  const line = stdout.split('\n').find((l) => l.startsWith('shlibs:Depends='));
  if (line === undefined) return [];
  return parseRelations(line.slice('shlibs:Depends='.length)).map((group) => group.map(formatRelation).join(' | '));
}

/**
 * dpkg-shlibdeps' messages as details: without its name in front, and with the scratch tree's
 * paths as the package installs them (`debian/PKG/opt/hermit/bin/x` becomes `/opt/hermit/bin/x`).
 */
export function shlibdepsMessages(stderr: string, packageName: string): string[] {
  const tree = `${packageTree(packageName)}/`;
  return stderr
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => line.replace(/^dpkg-shlibdeps: /, '').replaceAll(tree, '/'));
}

export interface ShlibdepsRequest {
  readonly packageName: string;
  /** A folder of this package's own to lay the tree out in: emptied first, removed afterwards. */
  readonly scratch: string;
  /** The host programs and shared objects (image path → the file holding it); no target code. */
  readonly binaries: ReadonlyMap<string, string>;
  /** The image's symbolic links (image path → target), so a soname link to a shipped library resolves. */
  readonly links: ReadonlyMap<string, string>;
  readonly log: (line: string) => Promise<void>;
}

/** Lays out the package build tree: the binaries hard-linked (copied across file systems), the links made again. */
async function layOut(request: ShlibdepsRequest): Promise<void> {
  const tree = path.join(request.scratch, packageTree(request.packageName));
  await mkdir(path.join(tree, 'DEBIAN'), { recursive: true });
  await writeFile(path.join(request.scratch, 'debian', 'control'), scratchControl(request.packageName));
  for (const [file, source] of request.binaries) {
    const to = path.join(tree, file);
    await mkdir(path.dirname(to), { recursive: true });
    await link(source, to).catch(() => copyFile(source, to));
  }
  for (const [file, target] of request.links) {
    const to = path.join(tree, file);
    await mkdir(path.dirname(to), { recursive: true });
    await symlink(target, to);
  }
}

/** The Depends relation groups dpkg-shlibdeps finds for the binaries; its warnings go to the log. */
export async function shlibDepends(request: ShlibdepsRequest): Promise<string[]> {
  const { packageName, scratch } = request;
  if (request.binaries.size === 0) return [];
  try {
    await rm(scratch, { recursive: true, force: true });
    await layOut(request);
  } catch (error) {
    await rm(scratch, { recursive: true, force: true }).catch(() => {});
    throw new ShlibdepsError(`cannot lay out the binaries of ${packageName} for dpkg-shlibdeps in ${scratch}: ${describeError(error)}`, [], { cause: error });
  }
  const argv = shlibdepsArgv(packageName, [...request.binaries.keys()].sort());
  let result: CapturedRun;
  try {
    // LC_ALL=C: its messages become details and log lines, in one language whatever the user's.
    result = await runCaptured(argv, { cwd: scratch, env: { ...(process.env as Record<string, string>), LC_ALL: 'C' } });
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
  const messages = shlibdepsMessages(result.stderr, packageName);
  if (result.exitCode !== 0) {
    const why = result.exitCode === 127 ? 'could not be run (is dpkg-dev installed?)' : explainExit(result.exitCode, result.signal);
    throw new ShlibdepsError(`no shared-library dependencies for ${packageName}: dpkg-shlibdeps ${why}`, messages, {
      cause: new StepFailure(argv, result.exitCode, result.signal),
    });
  }
  for (const message of messages) await request.log(`dpkg-shlibdeps: ${message}`);
  try {
    return parseShlibdepsOutput(result.stdout);
  } catch (error) {
    throw new ShlibdepsError(`no shared-library dependencies for ${packageName}: dpkg-shlibdeps gave Depends that cannot be read: ${describeError(error)}`, [result.stdout.trim()], { cause: error });
  }
}

let architecture: Promise<string> | undefined;

/** `dpkg --print-architecture`: the architecture of the host executables we package (asked once). */
export function hostArchitecture(): Promise<string> {
  architecture ??= runCaptured(['dpkg', '--print-architecture']).then((result) => {
    if (result.exitCode !== 0 || result.stdout.trim() === '') {
      const argv = ['dpkg', '--print-architecture'];
      throw new PackageError(`cannot ask dpkg for the host architecture: \`${argv.join(' ')}\` ${explainExit(result.exitCode, result.signal)}`, result.stderr.trim() ? [result.stderr.trim()] : [], {
        cause: new StepFailure(argv, result.exitCode, result.signal),
      });
    }
    return result.stdout.trim();
  });
  return architecture;
}
