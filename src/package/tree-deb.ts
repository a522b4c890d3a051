import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { ControlError, PACKAGE_NAME, field, parseStanza } from './control.js';
import { assembleDeb, writeControlMember, writeDataMember, writeFileAtomic, type ControlFile, type PackOptions } from './deb.js';
import { PackageError } from './errors.js';
import { walkTree } from './tree.js';
import { VersionError, debFileName, parseVersion } from './version.js';

export interface PackedTree {
  readonly file: string;
  readonly name: string;
  readonly version: string;
  readonly architecture: string;
}

/**
 * Packs a ready tree the way `dpkg-deb --root-owner-group -b TREE DIR` does: the files of
 * TREE/DEBIAN form the control member as they are (nothing is generated), everything else the
 * data member. Like all our packages, modes are normalised and mtimes clamped to `epoch`.
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
    if (entry.type !== 'file' || entry.path.includes('/')) throw new PackageError(`${path.join(debianDir, entry.path)}: the DEBIAN folder may hold only plain files`);
    controlFiles.push({ name: entry.path, data: await readFile(entry.source as string), executable: (entry.mode & 0o111) !== 0 });
  }
  const data = walkTree(treeDir, (relative) => relative === 'DEBIAN');
  // Both members compress at once: the control member is tiny but its compressor's start-up is not.
  const [control, dataMember] = await Promise.all([writeControlMember(controlFiles, options), data.then((entries) => writeDataMember(entries, options))]);
  await mkdir(outDir, { recursive: true });
  const file = path.join(outDir, debFileName(name, version, architecture));
  await writeFileAtomic(file, assembleDeb(control, dataMember.bytes, options));
  return { file, name, version, architecture };
}
