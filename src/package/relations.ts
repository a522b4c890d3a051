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
