import { HermitError } from '../errors.js';
import { ControlError, field, parseStanzas, type Stanza } from '../package/control.js';
import { formatRelation, parseRelations, satisfies, type Dependencies, type Relation } from '../package/relations.js';
import { compareVersions } from '../package/version.js';

/**
 * The flat apt repository a `package` run writes (Packages next to the .deb files), read back
 * for bootstrap: which packages it has, which of them to install, and what they need. Pure.
 */

export interface RepoPackage {
  readonly name: string;
  readonly version: string;
  readonly architecture: string;
  readonly depends: Dependencies;
  /** Path of the .deb relative to the repository (`./hello_1-1_all.deb`). */
  readonly filename: string;
  readonly size: number | undefined;
  readonly sha256: string | undefined;
}

export class IndexError extends HermitError {}

/** The package installed when a repository has it: it depends on the whole toolchain. */
export const META_PACKAGE = 'hermit-toolchain';

function relationsOf(stanza: Stanza): Dependencies {
  try {
    return parseRelations([field(stanza, 'Pre-Depends'), field(stanza, 'Depends')].filter((v) => v !== undefined).join(', '));
  } catch (error) {
    if (error instanceof ControlError) throw new IndexError(error.message, { cause: error });
    throw error;
  }
}

/** The packages of a Packages file; of several versions of one package, the newest. */
export function parsePackagesIndex(text: string, where: string): RepoPackage[] {
  let stanzas;
  try {
    stanzas = parseStanzas(text, where);
  } catch (error) {
    if (error instanceof ControlError) throw new IndexError(error.message, { cause: error });
    throw error;
  }
  const newest = new Map<string, RepoPackage>();
  for (const stanza of stanzas) {
    const get = (name: string): string => {
      const value = field(stanza, name);
      if (value === undefined) throw new IndexError(`${where}: a stanza has no ${name} field`);
      return value;
    };
    const size = field(stanza, 'Size');
    const pkg: RepoPackage = {
      name: get('Package'),
      version: get('Version'),
      architecture: get('Architecture'),
      depends: relationsOf(stanza),
      filename: get('Filename'),
      size: size === undefined ? undefined : Number(size),
      sha256: field(stanza, 'SHA256'),
    };
    const seen = newest.get(pkg.name);
    if (!seen || compareVersions(pkg.version, seen.version) > 0) newest.set(pkg.name, pkg);
  }
  return [...newest.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** What to install when the user names nothing: the meta package if there is one, else everything. */
export function defaultSelection(names: readonly string[]): string[] {
  return names.includes(META_PACKAGE) ? [META_PACKAGE] : [...names].sort();
}

export interface InstallSet {
  /** Repository packages to install: the selection and what it needs, needs first. */
  readonly packages: readonly RepoPackage[];
  /** Dependencies the repository does not satisfy: the machine must have them. */
  readonly external: readonly (readonly Relation[])[];
}

/** The selection closed over its dependencies within the repository. */
export function installSet(repository: readonly RepoPackage[], selection: readonly string[]): InstallSet {
  const byName = new Map(repository.map((p) => [p.name, p]));
  const ordered: RepoPackage[] = [];
  const external = new Map<string, readonly Relation[]>();
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (pkg: RepoPackage): void => {
    if (state.has(pkg.name)) return; // done, or a dependency cycle (dpkg installs those together)
    state.set(pkg.name, 'visiting');
    for (const group of pkg.depends) {
      const inRepo = group.find((relation) => {
        const candidate = byName.get(relation.name);
        return candidate !== undefined && satisfies(candidate.version, relation);
      });
      if (inRepo) visit(byName.get(inRepo.name)!);
      else external.set(group.map(formatRelation).join(' | '), group);
    }
    state.set(pkg.name, 'done');
    ordered.push(pkg);
  };
  for (const name of selection) {
    const pkg = byName.get(name);
    if (!pkg) throw new IndexError(`the repository has no package "${name}" (it has ${repository.map((p) => p.name).join(', ') || 'none'})`);
    visit(pkg);
  }
  return { packages: ordered, external: [...external.values()] };
}
