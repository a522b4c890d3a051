import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { z } from 'zod';
import { sha256Hex } from '../hash.js';

/** Set by scripts/build/bundle.mjs in the bundled CLI, which has no schema files beside it. */
declare const __HERMIT_SCHEMA_ID__: string | undefined;

/**
 * The schemas' own text: when a schema changes, every cached parse is dropped without anyone
 * having to remember a version number. (schema.js when compiled, schema.ts when run from source.)
 */
function schemaId(): string {
  if (typeof __HERMIT_SCHEMA_ID__ === 'string') return __HERMIT_SCHEMA_ID__;
  const here = fileURLToPath(import.meta.url);
  return ['schema', 'profile']
    .reduce((hash, name) => hash.update(readFileSync(path.join(path.dirname(here), `${name}${path.extname(here)}`))), createHash('sha256'))
    .digest('hex')
    .slice(0, 16);
}
const SCHEMA_ID = schemaId();

interface Stored {
  readonly schema: string;
  readonly entries: Record<string, unknown>;
}

/** Checks the envelope only: each entry is checked against its own schema when it is asked for. */
function isStored(value: unknown): value is Stored {
  if (typeof value !== 'object' || value === null) return false;
  const { schema, entries } = value as { schema?: unknown; entries?: unknown };
  return typeof schema === 'string' && typeof entries === 'object' && entries !== null && !Array.isArray(entries);
}

/**
 * Validated files (recipes, the profile) by kind and the hash of their text, kept in the work
 * directory between runs: YAML parsing dominates loading, and a build with nothing to do should
 * neither pay for it nor even load the YAML library. What the file holds is validated again
 * when it is read: anything can have written it, and an entry the schema refuses is a miss.
 */
export class ParseCache {
  private readonly entries: Record<string, unknown>;
  private readonly used: Record<string, unknown> = {};
  private dirty = false;

  private constructor(
    private readonly file: string,
    stored: Stored | undefined,
  ) {
    this.entries = stored?.schema === SCHEMA_ID ? stored.entries : {};
  }

  static open(file: string): ParseCache {
    try {
      const stored: unknown = JSON.parse(readFileSync(file, 'utf8'));
      return new ParseCache(file, isStored(stored) ? stored : undefined);
    } catch {
      return new ParseCache(file, undefined);
    }
  }

  private static key(kind: string, text: string): string {
    return `${kind}:${sha256Hex(text)}`;
  }

  /**
   * What `parse` made of this text before, if `schema` still accepts it, or what `parse` makes of
   * it now. `parse` must return what `schema` outputs, and that output must be valid input.
   */
  async through<S extends z.ZodType>(kind: string, text: string, schema: S, parse: () => Promise<z.output<S>>): Promise<z.output<S>> {
    const key = ParseCache.key(kind, text);
    if (Object.hasOwn(this.entries, key)) {
      const stored = schema.safeParse(this.entries[key]);
      if (stored.success) {
        this.used[key] = stored.data;
        return stored.data;
      }
    }
    const parsed = await parse();
    this.used[key] = parsed;
    this.dirty = true;
    return parsed;
  }

  /** Writes the entries used by this load (old ones are dropped), if anything changed. */
  async save(): Promise<void> {
    if (!this.dirty && Object.keys(this.used).length === Object.keys(this.entries).length) return;
    await mkdir(path.dirname(this.file), { recursive: true });
    const temp = `${this.file}.tmp-${process.pid}`;
    await writeFile(temp, JSON.stringify({ schema: SCHEMA_ID, entries: this.used } satisfies Stored));
    await rename(temp, this.file);
  }
}
