import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RecipeFile } from './schema.js';

/**
 * The schema's own compiled text: when the schema changes, every cached parse is dropped
 * without anyone having to remember a version number.
 */
const here = fileURLToPath(import.meta.url);
const SCHEMA_ID = createHash('sha256')
  // schema.js when compiled, schema.ts when run from source (tests).
  .update(readFileSync(path.join(path.dirname(here), `schema${path.extname(here)}`)))
  .digest('hex')
  .slice(0, 16);

interface Stored {
  readonly schema: string;
  readonly entries: Record<string, RecipeFile>;
}

/**
 * Validated recipe files by the hash of their text, kept in the work directory between runs:
 * YAML parsing dominates loading, and a no-op build should not pay for it again.
 */
export class ParseCache {
  private readonly entries: Record<string, RecipeFile>;
  private readonly used: Record<string, RecipeFile> = {};
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

  private static key(text: string): string {
    return createHash('sha256').update(text).digest('hex');
  }

  get(text: string): RecipeFile | undefined {
    const key = ParseCache.key(text);
    const hit = this.entries[key];
    if (hit) this.used[key] = hit;
    return hit;
  }

  set(text: string, parsed: RecipeFile): void {
    this.used[ParseCache.key(text)] = parsed;
    this.dirty = true;
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
