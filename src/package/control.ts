import { HermitError } from '../errors.js';

/**
 * Debian control data (deb-control(5)): stanzas of `Field: value` lines, continuation lines
 * starting with a blank. Building, formatting and parsing them. Pure.
 */

/**
 * Debian package names (Policy 5.6.1). The same rule as recipe names (recipes/schema.ts), kept
 * here so that packing a tree loads no schema library.
 */
export const PACKAGE_NAME = /^[a-z0-9][a-z0-9.+-]*$/;

export class ControlError extends HermitError {}

/**
 * One stanza: field names in their order, each value as written after "Name: " — for a
 * multi-line field the first line, then the continuation lines with their leading blank.
 */
export type Stanza = ReadonlyArray<readonly [name: string, value: string]>;

export function field(stanza: Stanza, name: string): string | undefined {
  return stanza.find(([n]) => n.toLowerCase() === name.toLowerCase())?.[1];
}

export function formatStanza(stanza: Stanza): string {
  return stanza.map(([name, value]) => `${name}: ${value}\n`).join('');
}

/** Parses a file of one stanza (a package's control file); `where` names it in errors. */
export function parseStanza(text: string, where: string): Stanza {
  const stanzas = parseStanzas(text, where);
  if (stanzas.length !== 1) throw new ControlError(`${where}: expected one stanza, found ${stanzas.length}`);
  return stanzas[0]!;
}

/** Parses stanzas separated by blank lines (a Packages file). */
export function parseStanzas(text: string, where: string): Stanza[] {
  const stanzas: Stanza[] = [];
  let current: Array<[string, string]> = [];
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  for (const [index, line] of lines.entries()) {
    if (line.trim() === '') {
      if (current.length > 0) stanzas.push(current);
      current = [];
      continue;
    }
    if (line.startsWith('#')) continue;
    if (line.startsWith(' ') || line.startsWith('\t')) {
      const last = current.at(-1);
      if (!last) throw new ControlError(`${where}:${index + 1}: continuation line without a field`);
      last[1] += `\n${line}`;
      continue;
    }
    const match = /^([!-9;-~][!-9;-~]*):(.*)$/.exec(line);
    if (!match) throw new ControlError(`${where}:${index + 1}: expected "Field: value", found "${line}"`);
    const name = match[1]!;
    if (current.some(([n]) => n.toLowerCase() === name.toLowerCase())) throw new ControlError(`${where}:${index + 1}: field ${name} appears twice`);
    current.push([name, match[2]!.trim()]);
  }
  if (current.length > 0) stanzas.push(current);
  return stanzas;
}

/** Greedy word wrap at `width` columns (words longer than that stay whole). */
export function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else {
      line = line ? `${line} ${word}` : word;
    }
  }
  if (line) lines.push(line);
  return lines;
}

/**
 * The Description value: the synopsis, then the long description with every line indented by
 * one blank and empty lines written as " ." (deb-control(5)). Paragraphs of `long` are kept;
 * lines inside them are kept too, so preformatted text (lists) survives.
 */
export function formatDescription(synopsis: string, long: string): string {
  const body = long
    .replace(/\s+$/, '')
    .split('\n')
    .map((line) => (line.trim() === '' ? ' .' : ` ${line.trimEnd()}`));
  while (body[0] === ' .') body.shift();
  return [synopsis.trim(), ...body].join('\n');
}

/** Our own packages, by name, with the full version (upstream-revision) each is built at. */
export type OwnVersions = ReadonlyMap<string, string>;

/**
 * A recipe's `package.depends` as a Depends value: a bare name of one of our packages is pinned
 * to the exact version we build (`binutils-hermit (= 2.40-1)`, since our packages are built and
 * tested together); anything else (a Debian package, a relation with its own version) is kept.
 */
export function pinOwnDepends(depends: readonly string[], own: OwnVersions): string[] {
  return depends.map((relation) => {
    const alternatives = relation.split('|').map((alternative) => {
      const name = alternative.trim();
      const version = own.get(name);
      return version === undefined ? name : `${name} (= ${version})`;
    });
    return alternatives.join(' | ');
  });
}
