import { PlanError } from '../errors.js';
import type { RecipeFile, Step } from './schema.js';

/** Placeholders whose value depends only on the recipe and the profile. */
export const VALUE_PLACEHOLDERS = ['name', 'version', 'target', 'prefix', 'osabi'] as const;
/**
 * Placeholders that name places in the work directory or the machine; they never enter a key.
 * `relsrc` is `src` relative to `obj` (the folder steps run in) and `work` the work directory:
 * a configure script run by a relative path compiles and records relative paths, and
 * `-ffile-prefix-map={work}=…` maps the rest, so that what is built does not depend on where.
 */
export const LOCATION_PLACEHOLDERS = ['jobs', 'src', 'relsrc', 'obj', 'image', 'stage', 'sysroot', 'work'] as const;
export type PlaceholderName = (typeof VALUE_PLACEHOLDERS)[number] | (typeof LOCATION_PLACEHOLDERS)[number];
export type PlaceholderValues = Readonly<Record<PlaceholderName, string>>;

const KNOWN = new Set<string>([...VALUE_PLACEHOLDERS, ...LOCATION_PLACEHOLDERS]);

/**
 * A step string is text with placeholders `{name}` or `{src:OTHER}`. `{{` stands for a literal
 * `{`, and `${` is left alone so that shell and make variables (`${CC}`) need no escaping.
 */
type Token = { kind: 'text'; text: string } | { kind: 'placeholder'; name: string; arg: string | undefined; raw: string };

const PLACEHOLDER = /^\{([a-z]+)(?::([a-z0-9][a-z0-9.+-]*))?\}/;

export function tokenize(template: string): Token[] {
  const tokens: Token[] = [];
  let text = '';
  for (let i = 0; i < template.length; ) {
    if (template.startsWith('{{', i)) {
      text += '{';
      i += 2;
      continue;
    }
    if (template[i] === '{' && template[i - 1] !== '$') {
      const match = PLACEHOLDER.exec(template.slice(i));
      if (match) {
        if (text) tokens.push({ kind: 'text', text });
        text = '';
        tokens.push({ kind: 'placeholder', name: match[1]!, arg: match[2], raw: match[0] });
        i += match[0].length;
        continue;
      }
    }
    text += template[i];
    i += 1;
  }
  if (text) tokens.push({ kind: 'text', text });
  return tokens;
}

export interface ExpandScope {
  readonly recipe: string;
  /** e.g. "configure step 2" — names the step in error messages. */
  readonly step: string;
  readonly values: PlaceholderValues;
  /** Resolves `{src:OTHER}`; undefined when OTHER is not a recipe this one needs. */
  readonly sourceOf: (other: string) => string | undefined;
}

export function expandString(template: string, scope: ExpandScope): string {
  return tokenize(template)
    .map((token) => {
      if (token.kind === 'text') return token.text;
      if (token.name === 'src' && token.arg !== undefined) {
        const dir = scope.sourceOf(token.arg);
        if (dir === undefined) {
          throw new PlanError(`recipe ${scope.recipe}, ${scope.step}: ${token.raw} names "${token.arg}", which is not among the recipe's needs`);
        }
        return dir;
      }
      if (token.arg === undefined && KNOWN.has(token.name)) return scope.values[token.name as PlaceholderName];
      throw new PlanError(
        `recipe ${scope.recipe}, ${scope.step}: unknown placeholder ${token.raw} (known: ${[...KNOWN].map((k) => `{${k}}`).join(' ')} {src:OTHER}; write {{ for a literal brace)`,
      );
    })
    .join('');
}

export function expandStep(step: Step, scope: ExpandScope): string[] {
  return step.map((arg) => expandString(arg, scope));
}

/** Placeholder names used in steps (`src:lwip` for the cross-recipe form), sorted, for keys and checks. */
export function placeholdersUsed(steps: readonly Step[]): string[] {
  const used = new Set<string>();
  for (const step of steps) {
    for (const arg of step) {
      for (const token of tokenize(arg)) {
        if (token.kind === 'placeholder') used.add(token.arg === undefined ? token.name : `${token.name}:${token.arg}`);
      }
    }
  }
  return [...used].sort();
}

/** Every template of a recipe that steps read: its steps and its environment's values. */
export function recipeTemplates(recipe: Pick<RecipeFile, 'configure' | 'build' | 'install' | 'env'>): Step[] {
  return [...recipe.configure, ...recipe.build, ...recipe.install, ...Object.values(recipe.env).map((value) => [value])];
}
