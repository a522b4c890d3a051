import { HermitError, describeError } from '../errors.js';
import { memberData, parseArchive } from '../formats/ar.js';
import { readTar } from '../formats/tar.js';
import type { Compression } from '../formats/compression.js';
import { decompressBuffer } from './compress.js';
import { parseStanza, type Stanza } from './control.js';

export class DebReadError extends HermitError {}

const SUFFIXES: ReadonlyArray<readonly [string, Compression]> = [
  ['', 'none'],
  ['.gz', 'gz'],
  ['.xz', 'xz'],
  ['.zst', 'zst'],
];

export interface DebControl {
  /** The control stanza (what dpkg-deb --field shows). */
  readonly stanza: Stanza;
  /** The regular files the package installs, from its md5sums (absolute paths); empty without one. */
  readonly files: readonly string[];
}

/** The control stanza and the file list of a .deb, read from its control member only. */
export async function readDebControlMember(bytes: Uint8Array, where: string): Promise<DebControl> {
  let archive;
  try {
    archive = parseArchive(bytes);
  } catch (error) {
    throw new DebReadError(`${where}: not a Debian package (${describeError(error)})`, { cause: error });
  }
  const members = archive.members.filter((m) => m.kind === 'file');
  if (members[0]?.name !== 'debian-binary' || !Buffer.from(memberData(bytes, members[0])).toString().startsWith('2.')) {
    throw new DebReadError(`${where}: not a Debian package (no debian-binary 2.x member first)`);
  }
  const member = members[1];
  const compression = SUFFIXES.find(([suffix]) => member?.name === `control.tar${suffix}`)?.[1];
  if (!member || !compression) throw new DebReadError(`${where}: the second member is not control.tar[.gz|.xz|.zst]`);
  const tar = await decompressBuffer(memberData(bytes, member), compression);
  const entries = readTar(tar);
  const named = (name: string) => entries.find((entry) => entry.path === `./${name}` || entry.path === name);
  const control = named('control');
  if (!control) throw new DebReadError(`${where}: the control member has no control file`);
  const md5sums = named('md5sums');
  // md5sums lines are "<32 hex>  <path without leading slash>".
  const files = md5sums
    ? Buffer.from(md5sums.data)
        .toString('utf8')
        .split('\n')
        .filter((line) => line.length > 34)
        .map((line) => `/${line.slice(34)}`)
    : [];
  return { stanza: parseStanza(Buffer.from(control.data).toString('utf8'), `${where}: control`), files };
}
