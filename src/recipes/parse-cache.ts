import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The schemas' own text: when a schema changes, every cached parse is dropped without anyone
 * having to remember a version number. (schema.js when compiled, schema.ts when run from source.)
 */
const here = fileURLToPath(import.meta.url);
const SCHEMA_ID = ['schema', 'profile']
  .reduce((hash, name) => hash.update(readFileSync(path.join(path.dirname(here), `${name}${path.extname(here)}`))), createHash('sha256'))
  .digest('hex')
  .slice(0, 16);

interface Stored {
  readonly schema: string;
  readonly entries: Record<string, unknown>;
}

/**
 * Validated files (recipes, the profile) by kind and the hash of their text, kept in the work
 * directory between runs: YAML parsing and validation dominate loading, and a build with nothing
 * to do should neither pay for them nor even load the YAML and schema libraries.
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
      return new ParseCache(file, JSON.parse(readFileSync(file, 'utf8')) as Stored);
    } catch {
      return new ParseCache(file, undefined);
    }
  }

  private static key(kind: string, text: string): string {
    return `${kind}:${createHash('sha256').update(text).digest('hex')}`;
  }

  /** What `parse` made of this text before, or what it makes of it now. */
  async through<T>(kind: string, text: string, parse: () => Promise<T>): Promise<T> {
    const key = ParseCache.key(kind, text);
    if (key in this.entries) {
      this.used[key] = this.entries[key];
      return this.entries[key] as T;
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
