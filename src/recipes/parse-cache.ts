import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
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

/**
 * The file: a first line `{"schema": ..., "digest": ...}`, then the entries as JSON, whose sha256
 * is the digest. An entry is served as it was stored, unchecked: the digest says the file is
 * whole and as this code wrote it, and the schema id that the schemas it was validated against
 * are the ones of this build. (Checking every entry again with zod cost a no-op build more than
 * reading the file.) Anything else, or a file that is not one, is a cache without entries.
 */
function readEntries(text: string): Record<string, unknown> | undefined {
  const newline = text.indexOf('\n');
  if (newline < 0) return undefined;
  const head: unknown = JSON.parse(text.slice(0, newline));
  if (typeof head !== 'object' || head === null) return undefined;
  const { schema, digest } = head as { schema?: unknown; digest?: unknown };
  const body = text.slice(newline + 1);
  if (schema !== SCHEMA_ID || digest !== sha256Hex(body)) return undefined;
  const entries: unknown = JSON.parse(body);
  return typeof entries === 'object' && entries !== null && !Array.isArray(entries) ? (entries as Record<string, unknown>) : undefined;
}

/** The file's text for `entries` (see readEntries). */
export function formatEntries(entries: Readonly<Record<string, unknown>>): string {
  const body = JSON.stringify(entries);
  return `${JSON.stringify({ schema: SCHEMA_ID, digest: sha256Hex(body) })}\n${body}`;
}

/**
 * Validated files (recipes, the profile) by kind and the hash of their text, kept between runs:
 * YAML parsing dominates loading, and a build with nothing to do should neither pay for it nor
 * even load the YAML library.
 */
export class ParseCache {
  private readonly used: Record<string, unknown> = {};
  private dirty = false;

  private constructor(
    private readonly file: string,
    private readonly entries: Readonly<Record<string, unknown>>,
  ) {}

  static open(file: string): ParseCache {
    try {
      return new ParseCache(file, readEntries(readFileSync(file, 'utf8')) ?? {});
    } catch {
      return new ParseCache(file, {});
    }
  }

  private static key(kind: string, text: string): string {
    return `${kind}:${sha256Hex(text)}`;
  }

  /** What `parse` made of this text before, or what it makes of it now (`parse` validates). */
  async through<T>(kind: string, text: string, parse: () => Promise<T>): Promise<T> {
    const key = ParseCache.key(kind, text);
    if (Object.hasOwn(this.entries, key)) {
      const stored = this.entries[key] as T;
      this.used[key] = stored;
      return stored;
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
    await writeFile(temp, formatEntries(this.used));
    await rename(temp, this.file);
  }
}
