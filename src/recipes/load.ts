import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import type { Document, LineCounter } from 'yaml';
import type { z } from 'zod';
import { ConfigError } from '../errors.js';
import { ParseCache } from './parse-cache.js';
import type { Profile, ProfileFile } from './profile.js';
import type { Recipe, RecipeFile } from './schema.js';

export const PROFILE_FILE = 'toolchain.yaml';

export interface Toolchain {
  /** Absolute path of the toolchain directory (holds toolchain.yaml, recipes/, patches/). */
  readonly dir: string;
  readonly profile: Profile;
  /** Recipes by name, in file-name order. */
  readonly recipes: ReadonlyMap<string, Recipe>;
}

const PLACEHOLDER_HINT =
  'a value that starts with a placeholder must be quoted, e.g. "{src}/configure" (YAML reads {…} as a mapping)';

/** Parses YAML and validates it, turning every problem into a ConfigError with file, key path and line. */
export async function parseYamlFile<S extends z.ZodType>(file: string, text: string, schema: S): Promise<z.infer<S>> {
  const { LineCounter, parseDocument } = await import('yaml');
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const syntax = doc.errors[0];
  if (syntax) {
    const line = lineCounter.linePos(syntax.pos[0]).line;
    const sourceLine = text.split('\n')[line - 1] ?? '';
    const hint = /(^|[\s[,:-])\{[a-z]+(:[a-z0-9.+-]+)?\}/.test(sourceLine) ? `; ${PLACEHOLDER_HINT}` : '';
    throw new ConfigError(file, undefined, `YAML syntax error: ${firstLine(syntax.message)}${hint}`, line);
  }
  const data: unknown = doc.toJS();
  const result = schema.safeParse(data ?? {});
  if (result.success) return result.data;
  // Every problem, in the order of the file, as tsc reports them: a user fixing a recipe should
  // not have to run again to hear of the next one.
  const problems: Array<{ where: string; message: string; line: number | undefined }> = [];
  for (const issue of result.error.issues) {
    const keyPaths = issue.code === 'unrecognized_keys' ? issue.keys.map((key) => [...issue.path.map(String), key]) : [issue.path.map(String)];
    for (const keyPath of keyPaths) {
      let message = issue.code === 'unrecognized_keys' ? 'unknown key' : issue.message;
      if (await looksLikeUnquotedPlaceholder(doc, issue.path)) message += `; ${PLACEHOLDER_HINT}`;
      const found = valueAt(data, issue.path);
      if (issue.code === 'invalid_type' && issue.expected === 'string' && (typeof found === 'number' || typeof found === 'boolean')) {
        message += `; quote it ("...") — YAML reads it as a ${typeof found}`;
      }
      problems.push({ where: keyPath.length > 0 ? keyPath.join('.') : '(top level)', message, line: await lineOf(doc, keyPath, lineCounter) });
    }
  }
  problems.sort((a, b) => (a.line ?? Infinity) - (b.line ?? Infinity));
  const [first, ...more] = problems.map((problem) => new ConfigError(file, problem.where, problem.message, problem.line));
  throw ConfigError.together([first!, ...more]);
}

function valueAt(data: unknown, keyPath: readonly PropertyKey[]): unknown {
  let value = data;
  for (const key of keyPath) value = (value as Record<PropertyKey, unknown> | undefined)?.[key];
  return value;
}

function firstLine(message: string): string {
  return message.split('\n')[0]!.trim();
}

/** Line of the deepest node of `keyPath` that exists in the document (a missing key points at its parent). */
async function lineOf(doc: Document, keyPath: readonly string[], counter: LineCounter): Promise<number | undefined> {
  const { isMap, isPair, isScalar } = await import('yaml');
  for (let depth = keyPath.length; depth >= 0; depth--) {
    const prefix = keyPath.slice(0, depth);
    const parent = depth === 0 ? doc.contents : doc.getIn(prefix.slice(0, -1), true);
    // Point at the key itself when we can: that is the line a user edits.
    if (depth > 0 && isMap(parent)) {
      const pair = parent.items.find((item) => isPair(item) && isScalar(item.key) && String(item.key.value) === prefix.at(-1));
      if (pair && isScalar(pair.key) && pair.key.range) return counter.linePos(pair.key.range[0]).line;
    }
    const node = depth === 0 ? doc.contents : doc.getIn(prefix, true);
    const range = (node as { range?: [number, number, number] } | null | undefined)?.range;
    if (range) return counter.linePos(range[0]).line;
  }
  return undefined;
}

/** `- {src}/configure` parses as a mapping `{src: null}`: detect it to give the quoting hint. */
async function looksLikeUnquotedPlaceholder(doc: Document, issuePath: readonly PropertyKey[]): Promise<boolean> {
  const { isMap, isPair, isScalar } = await import('yaml');
  const node = doc.getIn(issuePath.map((p) => (typeof p === 'number' ? p : String(p))), true);
  if (!isMap(node) || node.items.length !== 1) return false;
  const only = node.items[0];
  return isPair(only) && isScalar(only.key) && (only.value === null || (isScalar(only.value) && only.value.value === null));
}

async function isDirectory(p: string): Promise<boolean> {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

export interface ProfileOptions {
  readonly cache?: ParseCache | undefined;
  /**
   * The file was named by the user: it must be there. The toolchain's own `toolchain.yaml` may
   * be missing (every key has a default); a profile asked for by name and not found would
   * otherwise build with the defaults without a word.
   */
  readonly required?: boolean | undefined;
}

export async function loadProfile(file: string, options: ProfileOptions = {}): Promise<Profile> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EISDIR') throw new ConfigError(file, undefined, 'is a directory, not a profile file', undefined, { cause: error });
    if (code === 'ENOENT' && options.required) throw new ConfigError(file, undefined, 'no such profile file', undefined, { cause: error });
    if (code !== 'ENOENT') throw new ConfigError(file, undefined, `cannot read: ${(error as Error).message}`, undefined, { cause: error });
    text = '';
  }
  const { profileFileSchema, toProfile } = await import('./profile.js');
  const parse = async (): Promise<ProfileFile> => (text === '' ? profileFileSchema.parse({}) : parseYamlFile(file, text, profileFileSchema));
  const { cache } = options;
  const parsed = cache ? await cache.through(`profile ${file}`, text, parse) : await parse();
  // Premirror folders are relative to the profile's own folder.
  return toProfile(parsed, path.dirname(file));
}

export async function loadRecipe(toolchainDir: string, file: string, cache?: ParseCache): Promise<Recipe> {
  const text = readFileSync(file, 'utf8');
  const { recipeSchema } = await import('./schema.js');
  const parse = async (): Promise<RecipeFile> => parseYamlFile(file, text, recipeSchema);
  const parsed = cache ? await cache.through('recipe', text, parse) : await parse();
  const expected = path.basename(file).replace(/\.ya?ml$/, '');
  if (parsed.name !== expected) {
    throw new ConfigError(file, 'name', `is "${parsed.name}" but the file is named ${path.basename(file)}; a recipe file's name is its recipe name`);
  }
  if (parsed.continues !== undefined) {
    for (const field of ['source', 'patches'] as const) {
      if (parsed[field] !== undefined) throw new ConfigError(file, field, `not used with \`continues\`: the recipe builds in the tree of ${parsed.continues}`);
    }
    if (parsed.configure.length > 0) throw new ConfigError(file, 'configure', `not used with \`continues\`: ${parsed.continues} configured the build folder`);
    if (!parsed.needs.includes(parsed.continues)) throw new ConfigError(file, 'continues', `names "${parsed.continues}", which must also be among the recipe's needs`);
  }
  let patchDir: string | undefined;
  if (parsed.patches !== undefined) {
    patchDir = path.resolve(toolchainDir, parsed.patches);
    if (!(await isDirectory(patchDir))) {
      throw new ConfigError(file, 'patches', `folder ${patchDir} does not exist`);
    }
  }
  for (const [index, alternate] of (parsed.source?.alternates ?? []).entries()) {
    if (alternate.patches !== undefined && !(await isDirectory(path.resolve(toolchainDir, alternate.patches)))) {
      throw new ConfigError(file, `source.alternates.${index}.patches`, `folder ${path.resolve(toolchainDir, alternate.patches)} does not exist`);
    }
  }
  return { ...parsed, file, patchDir };
}

export interface LoadOptions {
  /** A profile to use instead of `<dir>/toolchain.yaml`; unlike that one, it must exist. */
  readonly profileFile?: string | undefined;
  /** Where to keep validated recipes between runs (see ParseCache). */
  readonly parseCache?: string;
}

/**
 * Loads a toolchain directory: the profile (`toolchain.yaml`, optional, every key has a default)
 * and every `recipes/*.yaml`.
 */
export async function loadToolchain(dir: string, options: LoadOptions = {}): Promise<Toolchain> {
  const root = path.resolve(dir);
  const recipeDir = path.join(root, 'recipes');
  if (!(await isDirectory(recipeDir))) {
    throw new ConfigError(root, undefined, 'not a toolchain directory: it has no recipes/ folder (use --toolchain DIR)');
  }
  const cache = options.parseCache ? ParseCache.open(options.parseCache) : undefined;
  const profile = await loadProfile(options.profileFile ?? path.join(root, PROFILE_FILE), { cache, required: options.profileFile !== undefined });
  const files = readdirSync(recipeDir).filter((f) => /\.ya?ml$/.test(f)).sort();
  const recipes = new Map<string, Recipe>();
  const settled = await Promise.allSettled(files.map((file) => loadRecipe(root, path.join(recipeDir, file), cache)));
  const failures = settled.flatMap((outcome) => (outcome.status === 'rejected' ? [outcome.reason as unknown] : []));
  if (failures.length > 0) {
    // Every recipe's problems at once, like those of one recipe; anything else is a bug, shown alone.
    const configErrors = failures.filter((error): error is ConfigError => error instanceof ConfigError);
    if (configErrors.length < failures.length) throw failures.find((error) => !(error instanceof ConfigError));
    throw ConfigError.together(configErrors as [ConfigError, ...ConfigError[]]);
  }
  const loaded = settled.flatMap((outcome) => (outcome.status === 'fulfilled' ? [outcome.value] : []));
  await cache?.save().catch(() => undefined);
  // Packages are files named after the package in one folder: a second recipe with the same
  // package name would replace the first one's .deb there, and never find its own.
  const packagedBy = new Map<string, Recipe>();
  for (const recipe of loaded) {
    const clash = recipes.get(recipe.name);
    if (clash) throw new ConfigError(recipe.file, 'name', `recipe "${recipe.name}" is also defined in ${clash.file}`);
    recipes.set(recipe.name, recipe);
    if (!recipe.package) continue;
    const other = packagedBy.get(recipe.package.name);
    if (other) throw new ConfigError(recipe.file, 'package.name', `package "${recipe.package.name}" is also built by ${other.file}; give each recipe its own package name`);
    packagedBy.set(recipe.package.name, recipe);
  }
  for (const recipe of recipes.values()) {
    if (recipe.continues === undefined) continue;
    const continued = recipes.get(recipe.continues);
    // A missing recipe is the needs check's to report (continues is among the needs).
    if (continued?.continues !== undefined) {
      throw new ConfigError(recipe.file, 'continues', `names "${continued.name}", which itself continues "${continued.continues}": continue "${continued.continues}" instead`);
    }
  }
  return { dir: root, profile, recipes };
}
