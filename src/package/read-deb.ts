import { memberData, parseArchive } from '../formats/ar.js';
import { readTar } from '../formats/tar.js';
import { decompressBuffer, type Compression } from './compress.js';
import { parseStanza, type Stanza } from './control.js';

export class DebReadError extends Error {
  override name = 'DebReadError';
}

const SUFFIXES: ReadonlyArray<readonly [string, Compression]> = [
  ['', 'none'],
  ['.gz', 'gz'],
  ['.xz', 'xz'],
  ['.zst', 'zst'],
];

/** The control stanza of a .deb (what dpkg-deb --field shows), read from its bytes. */
export async function readDebControl(bytes: Uint8Array, where: string): Promise<Stanza> {
  let archive;
  try {
    archive = parseArchive(bytes);
  } catch (error) {
    throw new DebReadError(`${where}: not a Debian package (${error instanceof Error ? error.message : String(error)})`);
  }
  const files = archive.members.filter((m) => m.kind === 'file');
  if (files[0]?.name !== 'debian-binary' || !Buffer.from(memberData(bytes, files[0])).toString().startsWith('2.')) {
    throw new DebReadError(`${where}: not a Debian package (no debian-binary 2.x member first)`);
  }
  const member = files[1];
  const compression = SUFFIXES.find(([suffix]) => member?.name === `control.tar${suffix}`)?.[1];
  if (!member || !compression) throw new DebReadError(`${where}: the second member is not control.tar[.gz|.xz|.zst]`);
  const tar = await decompressBuffer(memberData(bytes, member), compression);
  const control = readTar(tar).find((entry) => entry.path === './control' || entry.path === 'control');
  if (!control) throw new DebReadError(`${where}: the control member has no control file`);
  return parseStanza(Buffer.from(control.data).toString('utf8'), `${where}: control`);
}
