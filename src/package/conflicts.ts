import { field, type Stanza } from './control.js';

/**
 * Files that two packages of one repository both install. dpkg refuses to unpack a package that
 * would overwrite a file of another installed package, so `apt-get install` of both fails
 * halfway; finding it when the index is written names the culprits before anyone installs.
 * A package that declares `Replaces:` or `Conflicts:` on the other has said how dpkg should
 * settle it, and is not reported.
 */

export interface PackageFiles {
  readonly stanza: Stanza;
  readonly files: readonly string[];
}

export interface FileConflict {
  readonly path: string;
  /** The two package names, in name order. */
  readonly packages: readonly [string, string];
}

/** Package names a relation field mentions: `a (<< 1), b | c` → a, b, c. */
export function relationNames(value: string | undefined): string[] {
  if (!value) return [];
  return value
    .split(/[,|]/)
    .map((item) => item.trim().split(/[\s(:]/)[0] ?? '')
    .filter((name) => name.length > 0);
}

function settled(a: Stanza, b: Stanza): boolean {
  const nameOf = (stanza: Stanza) => field(stanza, 'Package') ?? '';
  const declares = (stanza: Stanza, other: string) =>
    [...relationNames(field(stanza, 'Replaces')), ...relationNames(field(stanza, 'Conflicts'))].includes(other);
  return declares(a, nameOf(b)) || declares(b, nameOf(a));
}

/** Every path owned by packages of two different names, in path order. */
export function findFileConflicts(packages: readonly PackageFiles[]): FileConflict[] {
  const owners = new Map<string, PackageFiles[]>();
  for (const pkg of packages) {
    for (const file of pkg.files) {
      const list = owners.get(file);
      if (list) list.push(pkg);
      else owners.set(file, [pkg]);
    }
  }
  const conflicts: FileConflict[] = [];
  for (const [file, list] of owners) {
    if (list.length < 2) continue;
    // Versions of one package may sit side by side in a repository; only other names clash,
    // and each pair of names once per path.
    const pairs = new Set<string>();
    for (let i = 0; i < list.length; i++) {
      for (let j = i + 1; j < list.length; j++) {
        const [a, b] = [list[i]!, list[j]!];
        const names = [field(a.stanza, 'Package') ?? '', field(b.stanza, 'Package') ?? ''].sort() as [string, string];
        const pair = names.join(' ');
        if (names[0] === names[1] || pairs.has(pair) || settled(a.stanza, b.stanza)) continue;
        pairs.add(pair);
        conflicts.push({ path: file, packages: names });
      }
    }
  }
  return conflicts.sort((x, y) => (x.path < y.path ? -1 : x.path > y.path ? 1 : 0));
}

/** One line per pair of packages, with the first few paths they share. */
export function describeConflicts(conflicts: readonly FileConflict[], shown = 3): string[] {
  const byPair = new Map<string, string[]>();
  for (const conflict of conflicts) {
    const key = conflict.packages.join(' and ');
    byPair.set(key, [...(byPair.get(key) ?? []), conflict.path]);
  }
  return [...byPair].map(([pair, paths]) => {
    const more = paths.length > shown ? ` and ${paths.length - shown} more` : '';
    return `${pair} both install ${paths.slice(0, shown).join(', ')}${more}`;
  });
}
