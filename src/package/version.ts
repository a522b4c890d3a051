import { HermitError } from '../errors.js';

/**
 * Debian version strings, `[epoch:]upstream[-revision]` (Debian Policy 5.6.12): checking them and
 * ordering them exactly as `dpkg --compare-versions` does. Pure.
 */

export interface DebianVersion {
  readonly epoch: number;
  readonly upstream: string;
  /** Empty for a version without a revision (a native package). */
  readonly revision: string;
}

export class VersionError extends HermitError {}

/** Parses and checks a version; the message says what is wrong. */
export function parseVersion(text: string): DebianVersion {
  const version = text.trim();
  if (version === '') throw new VersionError('a version cannot be empty');
  if (/\s/.test(version)) throw new VersionError(`version "${text}" contains blanks`);
  let rest = version;
  let epoch = 0;
  const colon = rest.indexOf(':');
  if (colon >= 0) {
    const epochText = rest.slice(0, colon);
    if (!/^[0-9]+$/.test(epochText)) throw new VersionError(`version "${text}": the epoch must be a number`);
    epoch = Number(epochText);
    rest = rest.slice(colon + 1);
  }
  const hyphen = rest.lastIndexOf('-');
  const upstream = hyphen >= 0 ? rest.slice(0, hyphen) : rest;
  const revision = hyphen >= 0 ? rest.slice(hyphen + 1) : '';
  if (upstream === '') throw new VersionError(`version "${text}" has an empty upstream part`);
  if (!/^[0-9]/.test(upstream)) throw new VersionError(`version "${text}": the upstream part must start with a digit`);
  if (!/^[A-Za-z0-9.+~:-]+$/.test(upstream)) throw new VersionError(`version "${text}": the upstream part may hold only letters, digits and . + ~ - :`);
  if (hyphen >= 0 && !/^[A-Za-z0-9.+~]+$/.test(revision)) throw new VersionError(`version "${text}": the revision may hold only letters, digits and . + ~`);
  return { epoch, upstream, revision };
}

export function formatVersion(version: DebianVersion): string {
  return `${version.epoch > 0 ? `${version.epoch}:` : ''}${version.upstream}${version.revision ? `-${version.revision}` : ''}`;
}

/** The version as it appears in a package file name: Debian leaves the epoch out. */
export function versionForFileName(text: string): string {
  const version = parseVersion(text);
  return formatVersion({ ...version, epoch: 0 });
}

/** Debian's file name for a package: NAME_VERSION_ARCH.deb, the version without its epoch. */
export function debFileName(name: string, version: string, architecture: string): string {
  return `${name}_${versionForFileName(version)}_${architecture}.deb`;
}

const isDigit = (c: string | undefined): boolean => c !== undefined && c >= '0' && c <= '9';
const isLetter = (c: string): boolean => /^[A-Za-z]$/.test(c);

/** dpkg's weight of a non-digit character: ~ before the end, the end before letters, letters before the rest. */
function order(c: string | undefined): number {
  if (c === undefined || isDigit(c)) return 0;
  if (c === '~') return -1;
  if (isLetter(c)) return c.charCodeAt(0);
  return c.charCodeAt(0) + 256;
}

/** dpkg's verrevcmp: alternating runs of non-digits (compared by `order`) and numbers. */
function compareParts(a: string, b: string): number {
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    while ((i < a.length && !isDigit(a[i])) || (j < b.length && !isDigit(b[j]))) {
      const difference = order(a[i]) - order(b[j]);
      if (difference !== 0) return difference;
      i += 1;
      j += 1;
    }
    while (a[i] === '0') i += 1;
    while (b[j] === '0') j += 1;
    let firstDifference = 0;
    while (isDigit(a[i]) && isDigit(b[j])) {
      if (firstDifference === 0) firstDifference = a.charCodeAt(i) - b.charCodeAt(j);
      i += 1;
      j += 1;
    }
    if (isDigit(a[i])) return 1;
    if (isDigit(b[j])) return -1;
    if (firstDifference !== 0) return firstDifference;
  }
  return 0;
}

/** Negative, zero or positive as `a` sorts before, with or after `b`. */
export function compareVersions(a: string, b: string): number {
  const x = parseVersion(a);
  const y = parseVersion(b);
  if (x.epoch !== y.epoch) return x.epoch - y.epoch;
  return compareParts(x.upstream, y.upstream) || compareParts(x.revision, y.revision);
}
