import { ControlError } from './control.js';
import { compareVersions } from './version.js';

/** Relation fields of Debian control data (Depends, Replaces, Conflicts, ...). Pure. */

export interface Relation {
  readonly name: string;
  /** `>=`, `<=`, `=`, `<<`, `>>`, or undefined for any version. */
  readonly operator: string | undefined;
  readonly version: string | undefined;
}

/** A Depends field: every group must be satisfied, a group by any one of its alternatives. */
export type Dependencies = ReadonlyArray<readonly Relation[]>;

export function parseRelations(text: string | undefined): Dependencies {
  if (text === undefined || text.trim() === '') return [];
  return text.split(',').map((group) =>
    group.split('|').map((alternative) => {
      const match = /^\s*([a-z0-9][a-z0-9.+-]*)(?::[a-z0-9-]+)?\s*(?:\(\s*(<<|<=|=|>=|>>)\s*([^)\s]+)\s*\))?\s*(?:\[[^\]]*\])?\s*$/.exec(alternative);
      if (!match) throw new ControlError(`cannot read the relation "${alternative.trim()}"`);
      return { name: match[1]!, operator: match[2], version: match[3] };
    }),
  );
}

export function satisfies(version: string, relation: Relation): boolean {
  if (relation.operator === undefined || relation.version === undefined) return true;
  const order = compareVersions(version, relation.version);
  switch (relation.operator) {
    case '<<':
      return order < 0;
    case '<=':
      return order <= 0;
    case '=':
      return order === 0;
    case '>=':
      return order >= 0;
    default:
      return order > 0;
  }
}

export function formatRelation(relation: Relation): string {
  return relation.operator ? `${relation.name} (${relation.operator} ${relation.version})` : relation.name;
}

/**
 * dpkg's answer, where it is yes, to whether `p` implies `q` for one package: every version
 * that satisfies `p` satisfies `q` (Dpkg::Deps::deps_eval_implication). Versions dpkg could not
 * read imply nothing.
 */
function relationImplies(p: Relation, q: Relation): boolean {
  if (p.name !== q.name) return false;
  if (q.operator === undefined || q.version === undefined) return true;
  if (p.operator === undefined || p.version === undefined) return false;
  let order: number;
  try {
    order = compareVersions(p.version, q.version);
  } catch {
    return false;
  }
  switch (q.operator) {
    case '=':
      return p.operator === '=' && order === 0;
    case '<=':
      return (p.operator === '<<' || p.operator === '<=' || p.operator === '=') && order <= 0;
    case '<<':
      return p.operator === '<<' ? order <= 0 : (p.operator === '<=' || p.operator === '=') && order < 0;
    case '>=':
      return (p.operator === '>>' || p.operator === '>=' || p.operator === '=') && order >= 0;
    default:
      return p.operator === '>>' ? order >= 0 : (p.operator === '>=' || p.operator === '=') && order > 0;
  }
}

/**
 * Whether group `p` implies group `q` (Dpkg::Deps::Simple and ::OR `implies`): one relation
 * implies a group when it implies one of its alternatives; a group of alternatives implies only
 * a group of alternatives, when each of its alternatives implies one of the other's.
 */
function groupImplies(p: readonly Relation[], q: readonly Relation[]): boolean {
  if (p.length === 1) return q.some((alternative) => relationImplies(p[0]!, alternative));
  if (q.length === 1) return false;
  return p.every((mine) => q.some((theirs) => relationImplies(mine, theirs)));
}

/**
 * A Depends field as dpkg-gencontrol writes it from its parts (Dpkg::Deps::AND simplify_deps):
 * a group implied by an earlier kept one is dropped, and a group implied by a later one is
 * replaced by that later one, in its place. `libc6, libc6 (>= 2.36), libc6 (>= 2.34)` becomes
 * `libc6 (>= 2.36)`. Each entry is one group as written, and is kept as written; an entry with
 * an architecture qualifier or restriction, a build profile, or more than one group is kept
 * and compared with nothing (dpkg weighs those too; keeping one more relation is harmless).
 */
export function simplifyDepends(entries: readonly string[]): string[] {
  const parsed = (text: string): readonly Relation[] | undefined => {
    if (/[:[<]/.test(text.replace(/\([^)]*\)/g, ''))) return undefined;
    const groups = parseRelations(text);
    return groups.length === 1 ? groups[0] : undefined;
  };
  const implies = (p: string, q: string): boolean => {
    const [a, b] = [parsed(p), parsed(q)];
    return a !== undefined && b !== undefined && groupImplies(a, b);
  };
  const rest = [...entries];
  const kept: string[] = [];
  while (rest.length > 0) {
    const entry = rest.shift()!;
    if (kept.some((other) => implies(other, entry))) continue;
    const later = rest.findIndex((other) => implies(other, entry));
    if (later >= 0) rest.unshift(...rest.splice(later, 1));
    else kept.push(entry);
  }
  return kept;
}
