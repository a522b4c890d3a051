import path from 'node:path';
import { defaultCacheDir } from '../folders.js';
import { readStats } from '../cache/artifacts.js';
import { ccacheStats } from '../cache/ccache.js';
import { LocalStore } from '../cache/local.js';
import { planPrune } from '../cache/prune.js';
import { formatSize, parseSize } from '../cache/size.js';
import type { GlobalOptions } from './context.js';

/** Interrupted writes older than this are leftovers, not writes in progress. */
const STALE_TEMP_MS = 24 * 60 * 60 * 1000;

function cacheDirOf(options: GlobalOptions): string {
  return path.resolve(options.cache ?? defaultCacheDir());
}

export async function cacheStatsCommand(options: GlobalOptions): Promise<number> {
  const cacheDir = cacheDirOf(options);
  const store = new LocalStore(path.join(cacheDir, 'artifacts'));
  const { entries, blobs } = await store.inventory();
  const size = entries.reduce((sum, e) => sum + e.bytes, 0) + [...blobs.values()].reduce((sum, bytes) => sum + bytes, 0);
  const stats = await readStats(store.statsPath);
  const out = (line: string): boolean => process.stdout.write(`${line}\n`);
  out(`artifact cache: ${store.root}`);
  out(`  entries:  ${entries.length} (${blobs.size} archives, ${formatSize(size)})`);
  out(`  restored: ${stats.restored}`);
  out(`  stored:   ${stats.stored}`);
  out(`  misses:   ${stats.misses}`);
  if (stats.corrupt > 0) out(`  corrupt:  ${stats.corrupt} (discarded)`);
  const ccacheDir = path.join(cacheDir, 'ccache');
  out(`ccache: ${ccacheDir}`);
  for (const line of (await ccacheStats(ccacheDir, process.env.PATH ?? '')).split('\n')) out(`  ${line}`);
  return 0;
}

export async function cachePruneCommand(options: GlobalOptions & { maxSize: string }): Promise<number> {
  const maxBytes = parseSize(options.maxSize);
  const store = new LocalStore(path.join(cacheDirOf(options), 'artifacts'));
  // Builds may go on meanwhile: an entry one just wrote is the newest and goes last.
  await store.removeStaleTemp(STALE_TEMP_MS);
  const { entries, blobs } = await store.inventory();
  const plan = planPrune(entries, blobs, maxBytes);
  for (const key of plan.removeEntries) await store.removeEntry(key);
  for (const blob of plan.removeBlobs) await store.removeBlob(blob);
  const recipes = entries.filter((e) => plan.removeEntries.includes(e.key)).map((e) => e.recipe);
  process.stdout.write(
    `pruned ${plan.removeEntries.length} entries and ${plan.removeBlobs.length} archives${recipes.length ? ` (${recipes.join(', ')})` : ''}: ` +
      `${formatSize(plan.sizeBefore)} -> ${formatSize(plan.sizeAfter)} (limit ${formatSize(maxBytes)})\n`,
  );
  return 0;
}
