import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { WorkLayout } from '../workdir/layout.js';
import { appendLog } from '../process/run.js';
import { CounterBudget, withSlot } from '../process/budget.js';
import { taskId, type Plan, type PlannedTask } from '../plan/plan.js';
import type { Recipe } from '../recipes/schema.js';
import type { ArtifactCache, Hit } from '../cache/artifacts.js';
import { CompilerCache, locateCcache } from '../cache/ccache.js';
import { emptyCounts, type ArtifactCounts } from '../cache/counts.js';
import type { CacheSettings } from '../cache/settings.js';
import { imageTask, unneededTasks } from '../plan/leave-out.js';

/** What the cache needs to know about a prepared build. */
export interface CachedBuild {
  readonly plan: Plan;
  readonly keys: ReadonlyMap<string, string>;
  readonly layout: WorkLayout;
  readonly target: string;
  /** The profile prefix: a packaged image must stay inside it. */
  readonly prefix: string;
  /** The PATH steps start from (to find ccache). */
  readonly path: string;
  /** Recipes forced to run again: never restored. */
  readonly forced: ReadonlySet<string>;
  readonly isUpToDate: (task: PlannedTask) => Promise<boolean>;
}

export interface Restore {
  readonly at: number;
  readonly ms: number;
}

/** What the cache settled before anything is scheduled. */
export interface CacheOutcome {
  /** Image tasks restored from the artifact cache (not yet recorded), with when each restore began (epoch ms) and how long it took. */
  readonly restored: ReadonlyMap<string, Restore>;
  /** Tasks the build leaves out: their recipe's image is up to date or was just restored. */
  readonly unneeded: ReadonlySet<string>;
}

/** How many lookups and restores go to the caches at once. */
const CACHE_CONCURRENCY = 8;

/**
 * The caches' part in one build, all of it before the schedule: keys come from inputs, so every
 * recipe's image can be looked up and restored first. The build then leaves out what the
 * satisfied recipes no longer need and schedules the rest once. A restore that fails is simply
 * not a restore: that recipe builds like any other. After a fresh image task, `store` keeps it.
 *
 * The artifact cache's code (zod, tar, got) is loaded only once a recipe is not up to date, so
 * a build with nothing to do stays as fast as it was.
 */
export class BuildCache {
  /** What the artifact cache did; undefined when it is off. */
  readonly counts: ArtifactCounts | undefined;
  private readonly recipes: ReadonlyMap<string, Recipe>;
  private artifactCache: Promise<ArtifactCache> | undefined;

  private constructor(
    private readonly build: CachedBuild,
    private readonly settings: CacheSettings,
    readonly compilers: CompilerCache | undefined,
    private readonly warn: (line: string) => void,
  ) {
    this.recipes = new Map(build.plan.recipes.map((recipe) => [recipe.name, recipe]));
    this.counts = settings.artifacts ? emptyCounts() : undefined;
  }

  static async open(build: CachedBuild, settings: CacheSettings, warn: (line: string) => void): Promise<BuildCache> {
    const compilers = settings.ccache
      ? new CompilerCache({
          ccache: await locateCcache(build.path),
          dir: settings.ccache.dir,
          baseDir: build.layout.root,
          wrapperRoot: build.layout.ccacheBin,
          target: build.target,
          remoteStorage: settings.ccache.remoteStorage,
        })
      : undefined;
    return new BuildCache(build, settings, compilers, warn);
  }

  /** The artifact cache, loaded on first use; undefined when it is off. */
  private artifacts(): Promise<ArtifactCache> | undefined {
    const settings = this.settings.artifacts;
    if (!settings) return undefined;
    this.artifactCache ??= (async () => {
      const [{ ArtifactCache }, { LocalStore }, { RemoteStore }] = await Promise.all([import('../cache/artifacts.js'), import('../cache/local.js'), import('../cache/remote.js')]);
      const remote = settings.remote && new RemoteStore(settings.remote);
      return new ArtifactCache(new LocalStore(settings.dir), remote, { write: settings.remote?.write ?? false, warn: this.warn }, this.counts);
    })();
    return this.artifactCache;
  }

  private imageTaskOf(recipe: Recipe): PlannedTask | undefined {
    const kind = imageTask(recipe);
    return kind && this.build.plan.tasks.get(taskId(recipe.name, kind));
  }

  /**
   * Settles every recipe that has an image: up to date, restored from a cache, or to be built.
   * Recipes are independent here (a hit's key already covers its needs), so they go in parallel.
   */
  async settle(): Promise<CacheOutcome> {
    const satisfied = new Set<string>();
    const restored = new Map<string, Restore>();
    const slots = new CounterBudget(CACHE_CONCURRENCY);
    const candidates = this.build.plan.recipes.filter((recipe) => this.imageTaskOf(recipe) && !this.build.forced.has(recipe.name));
    await Promise.all(
      candidates.map((recipe) =>
        withSlot(slots, async () => {
          const task = this.imageTaskOf(recipe)!;
          if (await this.build.isUpToDate(task)) {
            satisfied.add(recipe.name);
            return;
          }
          if (!this.settings.artifacts?.restore) return;
          const artifacts = await this.artifacts();
          if (!artifacts) return;
          const hit = await artifacts.lookup(this.build.keys.get(task.id)!, recipe.name);
          if (!hit) {
            artifacts.counts.misses += 1;
            return;
          }
          const started = Date.now();
          if (await this.restore(artifacts, task, hit)) {
            satisfied.add(recipe.name);
            restored.set(task.id, { at: started, ms: Date.now() - started });
          }
        }),
      ),
    );
    return { restored, unneeded: unneededTasks(this.build.plan, satisfied) };
  }

  private async restore(artifacts: ArtifactCache, task: PlannedTask, hit: Hit): Promise<boolean> {
    const { layout, keys } = this.build;
    const log = layout.log(task.recipe, task.kind);
    await mkdir(path.dirname(log), { recursive: true });
    await writeFile(log, `restoring the image of ${task.id} (key ${keys.get(task.id)}) from the ${hit.from} cache\n`);
    if (await artifacts.restore(hit, { imageDir: layout.image(task.recipe), staging: layout.restoring(task.recipe) }, (line) => appendLog(log, line))) return true;
    await appendLog(log, 'restore failed: the recipe builds instead');
    return false;
  }

  /** Keeps the image a task just built, when that task is its recipe's image task. */
  async store(task: PlannedTask): Promise<void> {
    const recipe = this.recipes.get(task.recipe)!;
    const image = imageTask(recipe);
    if (image !== task.kind) return;
    const artifacts = await this.artifacts();
    if (!artifacts) return;
    const log = this.build.layout.log(task.recipe, task.kind);
    await artifacts.store(
      { key: this.build.keys.get(task.id)!, recipe: recipe.name, version: recipe.version, task: image, packagedIn: recipe.package && this.build.prefix },
      this.build.layout.image(recipe.name),
      (line) => appendLog(log, line),
    );
  }

  /** Adds this run's counts to the cache's statistics (nothing to add when it was never used). */
  async finish(): Promise<void> {
    if (!this.artifactCache) return;
    await (await this.artifactCache).saveStats().catch(() => undefined);
  }
}
