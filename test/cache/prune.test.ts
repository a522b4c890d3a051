import { describe, expect, it } from 'vitest';
import { planPrune, type StoredEntry } from '../../src/cache/prune.js';

const entry = (key: string, blob: string, lastUsedMs: number): StoredEntry => ({ key, recipe: key, blob, lastUsedMs, bytes: 10 });

describe('planPrune', () => {
  const blobs = new Map([
    ['b1', 100],
    ['b2', 200],
    ['b3', 300],
  ]);

  it('removes nothing when the cache fits', () => {
    const plan = planPrune([entry('k1', 'b1', 1), entry('k2', 'b2', 2), entry('k3', 'b3', 3)], blobs, 630);
    expect(plan).toEqual({ removeEntries: [], removeBlobs: [], sizeBefore: 630, sizeAfter: 630 });
  });

  it('removes the least recently used entries first, with their archives', () => {
    const plan = planPrune([entry('new', 'b1', 30), entry('old', 'b3', 10), entry('mid', 'b2', 20)], blobs, 400);
    expect(plan.removeEntries).toEqual(['old']);
    expect(plan.removeBlobs).toEqual(['b3']);
    expect(plan.sizeAfter).toBe(320);
  });

  it('drops orphan archives before any entry, and keeps an archive another entry still uses', () => {
    const plan = planPrune([entry('a', 'b1', 1), entry('b', 'b1', 2), entry('c', 'b2', 3)], blobs, 215);
    // b3 is orphaned (300); then "a" goes, but b1 stays for "b"; then "b" goes and takes b1.
    expect(plan.removeBlobs).toEqual(['b3', 'b1']);
    expect(plan.removeEntries).toEqual(['a', 'b']);
    expect(plan.sizeAfter).toBe(210);
  });

  it('empties the cache for a limit of zero', () => {
    const plan = planPrune([entry('a', 'b1', 1)], new Map([['b1', 100]]), 0);
    expect(plan).toMatchObject({ removeEntries: ['a'], removeBlobs: ['b1'], sizeAfter: 0 });
  });
});
