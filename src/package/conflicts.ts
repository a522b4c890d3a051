import { ControlError, field, type Stanza } from './control.js';
import { parseRelations } from './relations.js';

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

/** A package as the search sees it; what it settles is read once, and only if it shares a file. */
interface Owner {
  readonly name: string;
  readonly stanza: Stanza;
  settles?: ReadonlySet<string>;
}

/** The names the package declares Replaces or Conflicts on: dpkg then settles a shared file. */
function settledWith(owner: Owner): ReadonlySet<string> {
  owner.settles ??= new Set(
    ['Replaces', 'Conflicts'].flatMap((relation) => {
      try {
        return parseRelations(field(owner.stanza, relation)).flatMap((group) => group.map((r) => r.name));
      } catch (error) {
        if (error instanceof ControlError) throw new ControlError(`${owner.name}: ${relation}: ${error.message}`, { cause: error });
        throw error;
      }
    }),
  );
  return owner.settles;
}

/** Every path owned by packages of two different names, in path order. */
export function findFileConflicts(packages: readonly PackageFiles[]): FileConflict[] {
  const owners = new Map<string, Owner[]>();
  for (const pkg of packages) {
    const owner: Owner = { name: field(pkg.stanza, 'Package') ?? '', stanza: pkg.stanza };
    for (const file of pkg.files) {
      const list = owners.get(file);
      if (list) list.push(owner);
      else owners.set(file, [owner]);
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
        const names = [a.name, b.name].sort() as [string, string];
        const pair = names.join(' ');
        if (names[0] === names[1] || pairs.has(pair) || settledWith(a).has(b.name) || settledWith(b).has(a.name)) continue;
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
