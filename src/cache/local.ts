import { randomBytes } from 'node:crypto';
import { mkdir, readFile, readdir, rename, rm, stat, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { CorruptArtifact, parseManifest, serializeManifest, type Manifest } from './manifest.js';
import type { StoredEntry } from './prune.js';

const HEX64 = /^[0-9a-f]{64}$/;

/**
 * The local artifact cache, `<cache>/artifacts`, laid out like the remote one so that any static
 * web server pointed at this folder serves it as a remote cache:
 *
 *   ac/<task key>       the manifest (JSON); its modification time is when it was last used
 *   cas/<sha256>        the archive, named by its content
 *   tmp/                files being written (renamed into place once complete)
 *   stats.json          restored/stored/miss counters
 */
export class LocalStore {
  constructor(readonly root: string) {}

  manifestPath(key: string): string {
    return path.join(this.root, 'ac', key);
  }
  blobPath(sha256: string): string {
    return path.join(this.root, 'cas', sha256);
  }
  get statsPath(): string {
    return path.join(this.root, 'stats.json');
  }

  /** A fresh path in tmp/ to write to before renaming into place (same file system). */
  async tempPath(label: string): Promise<string> {
    const dir = path.join(this.root, 'tmp');
    await mkdir(dir, { recursive: true });
    return path.join(dir, `${label}-${process.pid}-${randomBytes(4).toString('hex')}`);
  }

  /**
   * The manifest stored for `key`, when its archive is there too. A manifest that does not parse
   * is removed and reported as corrupt.
   */
  async lookup(key: string): Promise<Manifest | undefined> {
    let text: string;
    try {
      text = await readFile(this.manifestPath(key), 'utf8');
    } catch {
      return undefined;
    }
    let manifest: Manifest;
    try {
      manifest = parseManifest(text, key);
    } catch (error) {
      await rm(this.manifestPath(key), { force: true });
      throw error;
    }
    return (await this.hasBlob(manifest.archive.sha256)) ? manifest : undefined;
  }

  async hasBlob(sha256: string): Promise<boolean> {
    return stat(this.blobPath(sha256)).then(
      (info) => info.isFile(),
      () => false,
    );
  }

  /** Moves a verified archive into place. */
  async adoptBlob(file: string, sha256: string): Promise<void> {
    await mkdir(path.dirname(this.blobPath(sha256)), { recursive: true });
    await rename(file, this.blobPath(sha256));
  }

  /** Writes the manifest last, so a manifest never points at an archive that is not there. */
  async putManifest(manifest: Manifest): Promise<void> {
    const temp = await this.tempPath('manifest');
    await writeFile(temp, serializeManifest(manifest));
    await mkdir(path.dirname(this.manifestPath(manifest.key)), { recursive: true });
    await rename(temp, this.manifestPath(manifest.key));
  }

  /** Marks an entry as just used: prune removes the least recently used first. */
  async touch(key: string): Promise<void> {
    const now = new Date();
    await utimes(this.manifestPath(key), now, now).catch(() => undefined);
  }

  /** Forgets an entry whose archive turned out corrupt. */
  async discard(key: string, sha256: string): Promise<void> {
    await rm(this.manifestPath(key), { force: true });
    await rm(this.blobPath(sha256), { force: true });
  }

  /** Every manifest and archive, with what prune and stats need to know. */
  async inventory(): Promise<{ entries: StoredEntry[]; blobs: Map<string, number> }> {
    const entries: StoredEntry[] = [];
    const blobs = new Map<string, number>();
    for (const name of await readdir(path.join(this.root, 'cas')).catch(() => [] as string[])) {
      if (!HEX64.test(name)) continue;
      const info = await stat(this.blobPath(name)).catch(() => undefined);
      if (info?.isFile()) blobs.set(name, info.size);
    }
    for (const key of await readdir(path.join(this.root, 'ac')).catch(() => [] as string[])) {
      if (!HEX64.test(key)) continue;
      const file = this.manifestPath(key);
      try {
        const [info, text] = await Promise.all([stat(file), readFile(file, 'utf8')]);
        const manifest = parseManifest(text, key);
        entries.push({ key, recipe: manifest.recipe, blob: manifest.archive.sha256, lastUsedMs: info.mtimeMs, bytes: info.size });
      } catch (error) {
        if (!(error instanceof CorruptArtifact)) throw error;
        // An unreadable manifest is worth nothing: give it the oldest date so it goes first.
        entries.push({ key, recipe: '?', blob: '', lastUsedMs: 0, bytes: 0 });
      }
    }
    return { entries, blobs };
  }

  async removeEntry(key: string): Promise<void> {
    await rm(this.manifestPath(key), { force: true });
  }
  async removeBlob(sha256: string): Promise<void> {
    await rm(this.blobPath(sha256), { force: true });
  }

  /** Leftovers of interrupted writes older than `ageMs`. */
  async removeStaleTemp(ageMs: number): Promise<number> {
    const dir = path.join(this.root, 'tmp');
    let removed = 0;
    for (const name of await readdir(dir).catch(() => [] as string[])) {
      const info = await stat(path.join(dir, name)).catch(() => undefined);
      if (info && Date.now() - info.mtimeMs > ageMs) {
        await rm(path.join(dir, name), { recursive: true, force: true });
        removed += 1;
      }
    }
    return removed;
  }
}
