/** One manifest of the local cache, as prune sees it. */
export interface StoredEntry {
  readonly key: string;
  readonly recipe: string;
  /** sha256 of the archive it points at ('' for an unreadable manifest). */
  readonly blob: string;
  readonly lastUsedMs: number;
  /** Size of the manifest itself. */
  readonly bytes: number;
}

export interface PrunePlan {
  readonly removeEntries: readonly string[];
  readonly removeBlobs: readonly string[];
  readonly sizeBefore: number;
  readonly sizeAfter: number;
}

/**
 * Chooses what to delete so the cache fits in `maxBytes`: archives no manifest points at go
 * first, then entries from the least recently used on. Several keys can share one archive (an
 * identical image); the archive goes with the last entry that points at it. Pure.
 */
export function planPrune(entries: readonly StoredEntry[], blobs: ReadonlyMap<string, number>, maxBytes: number): PrunePlan {
  const references = new Map<string, number>();
  for (const entry of entries) if (blobs.has(entry.blob)) references.set(entry.blob, (references.get(entry.blob) ?? 0) + 1);
  let size = entries.reduce((sum, e) => sum + e.bytes, 0) + [...blobs.values()].reduce((sum, bytes) => sum + bytes, 0);
  const sizeBefore = size;
  const removeBlobs: string[] = [];
  const removeEntries: string[] = [];
  for (const [blob, bytes] of blobs) {
    if (!references.has(blob)) {
      removeBlobs.push(blob);
      size -= bytes;
    }
  }
  const oldestFirst = [...entries].sort((a, b) => a.lastUsedMs - b.lastUsedMs || (a.key < b.key ? -1 : 1));
  for (const entry of oldestFirst) {
    if (size <= maxBytes) break;
    removeEntries.push(entry.key);
    size -= entry.bytes;
    const left = (references.get(entry.blob) ?? 0) - 1;
    references.set(entry.blob, left);
    if (left === 0) {
      removeBlobs.push(entry.blob);
      size -= blobs.get(entry.blob)!;
    }
  }
  return { removeEntries, removeBlobs, sizeBefore, sizeAfter: size };
}
