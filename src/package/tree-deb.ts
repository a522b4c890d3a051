import { mkdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { ControlError, PACKAGE_NAME, field, parseStanza } from './control.js';
import { writeControlMember, writeDataMemberTo, writeDeb, type ControlFile, type PackOptions } from './deb.js';
import { PackageError } from './errors.js';
import { walkTree } from './tree.js';
import { VersionError, debFileName, parseVersion } from './version.js';

/** The control files dpkg runs, which dpkg-deb checks the modes of. */
const MAINTAINER_SCRIPTS: ReadonlySet<string> = new Set(['preinst', 'postinst', 'prerm', 'postrm', 'config']);

/**
 * Refuses a conffiles list that dpkg-deb refuses: every line ends with a newline and is an
 * absolute path in the package, optionally after the flag `remove-on-upgrade`, which names a
 * path the package no longer has. (What dpkg-deb only warns about, a duplicate or a conffile that
 * is not a plain file, passes.)
 */
function checkConffiles(file: string, text: string, inPackage: ReadonlySet<string>): void {
  if (text === '') return;
  if (!text.endsWith('\n')) throw new PackageError(`${file}: the last line has no final newline`);
  for (const [index, line] of text.slice(0, -1).split('\n').entries()) {
    const where = `${file}:${index + 1}`;
    if (/^\s/.test(line)) throw new PackageError(`${where}: a conffile line must not start with white space`);
    const [flag, name] = line.startsWith('/') || !line.includes(' ') ? [undefined, line] : [line.slice(0, line.indexOf(' ')), line.slice(line.indexOf(' ') + 1)];
    if (flag !== undefined && flag !== 'remove-on-upgrade') throw new PackageError(`${where}: unknown conffile flag "${flag}" (the only one is remove-on-upgrade)`);
    if (!name.startsWith('/')) throw new PackageError(`${where}: conffile "${name}" is not an absolute path`);
    const present = inPackage.has(path.posix.normalize(name).replace(/^\/+/, ''));
    if (flag === undefined && !present) throw new PackageError(`${where}: conffile ${name} is not in the package`);
    if (flag !== undefined && present) throw new PackageError(`${where}: conffile ${name} is in the package but marked remove-on-upgrade`);
  }
}

export interface PackedTree {
  readonly file: string;
  readonly name: string;
  readonly version: string;
  readonly architecture: string;
}

/**
 * Packs a ready tree the way `dpkg-deb --root-owner-group -b TREE DIR` does: the files of
 * TREE/DEBIAN form the control member as they are (nothing is generated, and what dpkg-deb
 * refuses is refused: maintainer scripts with the wrong modes, conffiles not in the package),
 * everything else the data member. Like all our packages, modes are normalised and mtimes
 * clamped to `epoch`.
 */
export async function packTree(treeDir: string, outDir: string, options: PackOptions): Promise<PackedTree> {
  const debianDir = path.join(treeDir, 'DEBIAN');
  const controlPath = path.join(debianDir, 'control');
  let controlText: string;
  try {
    controlText = await readFile(controlPath, 'utf8');
  } catch (error) {
    throw new PackageError(`${controlPath}: cannot read the control file (${(error as NodeJS.ErrnoException).code ?? String(error)})`, [], { cause: error });
  }
  let stanza;
  try {
    stanza = parseStanza(controlText, controlPath);
  } catch (error) {
    if (error instanceof ControlError) throw new PackageError(error.message, [], { cause: error });
    throw error;
  }
  const required = (name: string): string => {
    const value = field(stanza, name);
    if (!value) throw new PackageError(`${controlPath}: the ${name} field is missing`);
    return value;
  };
  const name = required('Package');
  const version = required('Version');
  const architecture = required('Architecture');
  if (!PACKAGE_NAME.test(name)) throw new PackageError(`${controlPath}: "${name}" is not a valid package name`);
  try {
    parseVersion(version);
  } catch (error) {
    if (error instanceof VersionError) throw new PackageError(`${controlPath}: ${error.message}`, [], { cause: error });
    throw error;
  }
  if (!/^[a-z0-9][a-z0-9-]*$/.test(architecture)) throw new PackageError(`${controlPath}: "${architecture}" is not an architecture`);

  const controlEntries = (await walkTree(debianDir)).filter((entry) => entry.path !== '');
  const controlFiles: ControlFile[] = [];
  for (const entry of controlEntries) {
    const file = path.join(debianDir, entry.path);
    if (entry.type !== 'file' || entry.path.includes('/')) throw new PackageError(`${file}: the DEBIAN folder may hold only plain files`);
    // dpkg-deb's own rule: readable and executable by all, writable by no one but owner and group.
    if (MAINTAINER_SCRIPTS.has(entry.path) && (entry.mode & 0o7557) !== 0o555) {
      throw new PackageError(`${file}: a maintainer script must have a mode from 0555 to 0775, not ${(entry.mode & 0o7777).toString(8).padStart(3, '0')} (chmod 755 it)`);
    }
    controlFiles.push({ name: entry.path, data: await readFile(file), executable: (entry.mode & 0o111) !== 0 });
  }
  const entries = await walkTree(treeDir, (relative) => relative === 'DEBIAN');
  const conffiles = controlFiles.find((f) => f.name === 'conffiles');
  if (conffiles) checkConffiles(path.join(debianDir, 'conffiles'), Buffer.from(conffiles.data).toString('utf8'), new Set(entries.map((entry) => entry.path)));
  // Both members compress at once: the control member is tiny but its compressor's start-up is not.
  await mkdir(outDir, { recursive: true });
  const file = path.join(outDir, debFileName(name, version, architecture));
  const dataFile = `${file}.data-${process.pid}`;
  try {
    const [control] = await Promise.all([writeControlMember(controlFiles, options), writeDataMemberTo(dataFile, entries, options)]);
    await writeDeb(file, control, dataFile, options);
  } finally {
    await rm(dataFile, { force: true });
  }
  return { file, name, version, architecture };
}
