import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { WorkLayout } from '../build/layout.js';
import { appendLog } from '../build/run.js';
import { TASK_KINDS, kindsOf, taskId, type Plan, type PlannedTask } from '../graph/plan.js';
import type { TaskState } from '../graph/state.js';
import type { Recipe } from '../recipes/schema.js';
import type { ArtifactCache, Hit } from './artifacts.js';
import { CompilerCache, locateCcache } from './ccache.js';
import { emptyCounts, type ArtifactCounts } from './counts.js';
import type { CacheSettings } from './settings.js';
import { SOURCE_KINDS, imageTask, sourceReaders, unneededTasks } from './skip.js';

/** What the cache needs to know about a prepared build. */
export interface CachedBuild {
  readonly plan: Plan;
  readonly keys: ReadonlyMap<string, string>;
  readonly layout: WorkLayout;
  readonly state: TaskState;
  readonly target: string;
  /** The PATH steps start from (to find ccache). */
  readonly path: string;
  /** Recipes forced to run again: never restored. */
  readonly forced: ReadonlySet<string>;
  readonly isUpToDate: (task: PlannedTask) => Promise<boolean>;
}

/** How a build hears from its caches. */
export interface CacheEvents {
  readonly warn: (line: string) => void;
  /** A task the scheduler skipped runs after all (its recipe's restore failed). */
  readonly lateStarted?: (task: PlannedTask) => void;
  readonly lateFinished?: (task: PlannedTask, status: 'success' | 'failed', ms: number, error?: unknown) => void;
}

/** How many lookups go to the caches at once. */
const LOOKUP_CONCURRENCY = 8;

/**
 * The caches' part in one build. Before anything runs, every recipe's image task is looked up
 * (keys come from inputs, so this is known in advance); a recipe whose image is up to date or in
 * a cache needs none of its earlier tasks, which the scheduler then skips. The image task itself
 * restores the image — or, should the restore fail, runs the left-out tasks after all.
 *
 * The artifact cache's code (zod, tar, got) is loaded only once a recipe is not up to date, so
 * a build with nothing to do stays as fast as it was.
 */
export class BuildCache {
  /** Tasks whose image came from the cache in this run. */
  readonly restored = new Set<string>();
  /** Tasks skipped at first that ran after all, inside their recipe's image task. */
  readonly ranLate = new Set<string>();
  /** What the artifact cache did; undefined when it is off. */
  readonly counts: ArtifactCounts | undefined;
  private readonly building = new Map<string, Promise<void>>();
  private readonly recipes: ReadonlyMap<string, Recipe>;
  private hits = new Map<string, Hit>();
  private unneeded: ReadonlySet<string> = new Set();
  private artifactCache: Promise<ArtifactCache> | undefined;

  private constructor(
    private readonly build: CachedBuild,
    private readonly settings: CacheSettings,
    readonly compilers: CompilerCache | undefined,
    private readonly events: CacheEvents,
  ) {
    this.recipes = new Map(build.plan.recipes.map((recipe) => [recipe.name, recipe]));
    this.counts = settings.artifacts ? emptyCounts() : undefined;
  }

  static async open(build: CachedBuild, settings: CacheSettings, events: CacheEvents): Promise<BuildCache> {
    const compilers = settings.ccache
      ? new CompilerCache({
          ccache: await locateCcache(build.path),
          dir: settings.ccache.dir,
          baseDir: build.layout.root,
          wrapperRoot: path.join(build.layout.root, 'ccache-bin'),
          target: build.target,
          remoteStorage: settings.ccache.remoteStorage,
        })
      : undefined;
    const cache = new BuildCache(build, settings, compilers, events);
    await cache.lookUpImages();
    return cache;
  }

  /** The artifact cache, loaded on first use; undefined when it is off. */
  private artifacts(): Promise<ArtifactCache> | undefined {
    const settings = this.settings.artifacts;
    if (!settings) return undefined;
    this.artifactCache ??= (async () => {
      const [{ ArtifactCache }, { LocalStore }, { RemoteStore }] = await Promise.all([import('./artifacts.js'), import('./local.js'), import('./remote.js')]);
      const remote = settings.remote && new RemoteStore(settings.remote);
      return new ArtifactCache(new LocalStore(settings.dir), remote, { write: settings.remote?.write ?? false, warn: this.events.warn }, this.counts);
    })();
    return this.artifactCache;
  }

  private imageTaskOf(recipe: Recipe): PlannedTask | undefined {
    const kind = imageTask(recipe);
    return kind && this.build.plan.tasks.get(taskId(recipe.name, kind));
  }

  /** Decides, before anything runs, which recipes are satisfied and which tasks they spare. */
  private async lookUpImages(): Promise<void> {
    const { build } = this;
    const satisfied = new Set<string>();
    const lookUp = async (recipe: Recipe): Promise<void> => {
      const task = this.imageTaskOf(recipe)!;
      if (await build.isUpToDate(task)) {
        satisfied.add(recipe.name);
        return;
      }
      const artifacts = await this.artifacts();
      if (!artifacts) return;
      const hit = await artifacts.lookup(build.keys.get(task.id)!, recipe.name);
      if (hit) {
        this.hits.set(task.id, hit);
        satisfied.add(recipe.name);
      } else {
        artifacts.counts.misses += 1;
      }
    };
    const queue = build.plan.recipes.filter((recipe) => this.imageTaskOf(recipe) && !build.forced.has(recipe.name));
    await Promise.all(
      Array.from({ length: Math.min(LOOKUP_CONCURRENCY, queue.length) }, async () => {
        for (let next = queue.shift(); next !== undefined; next = queue.shift()) await lookUp(next);
      }),
    );
    this.unneeded = unneededTasks(build.plan, satisfied);
  }

  /** Whether the scheduler may skip this task: its recipe's image needs no building. */
  skips(task: PlannedTask): boolean {
    return this.unneeded.has(task.id);
  }

  /**
   * Runs a task through the cache. `buildTask` runs a task and records its key (the executor's
   * normal path). An image task with a hit is restored; when that fails, the tasks that were
   * left out run first. A freshly built image is stored.
   */
  async run(task: PlannedTask, buildTask: (task: PlannedTask) => Promise<void>): Promise<void> {
    const hit = this.hits.get(task.id);
    if (hit) {
      if (await this.restore(task, hit)) return;
      await this.buildLeftOut(task, buildTask);
    }
    await buildTask(task);
    const recipe = this.recipes.get(task.recipe)!;
    const image = imageTask(recipe);
    const artifacts = image === task.kind ? await this.artifacts() : undefined;
    if (artifacts && image) {
      const log = this.build.layout.log(task.recipe, task.kind);
      await artifacts.store(
        { key: this.build.keys.get(task.id)!, recipe: recipe.name, version: recipe.version, task: image },
        this.build.layout.image(recipe.name),
        (line) => appendLog(log, line),
      );
    }
  }

  private async restore(task: PlannedTask, hit: Hit): Promise<boolean> {
    const { layout, state, keys } = this.build;
    const log = layout.log(task.recipe, task.kind);
    await mkdir(path.dirname(log), { recursive: true });
    await writeFile(log, `restoring the image of ${task.id} (key ${keys.get(task.id)}) from the ${hit.from} cache\n`);
    // The tasks after this one worked on the image being replaced.
    for (const later of TASK_KINDS.slice(TASK_KINDS.indexOf(task.kind) + 1)) await state.forget(task.recipe, later);
    const artifacts = (await this.artifacts())!;
    if (!(await artifacts.restore(hit, layout.image(task.recipe), (line) => appendLog(log, line)))) {
      await appendLog(log, 'restore failed: building instead');
      return false;
    }
    await state.write(task.recipe, task.kind, keys.get(task.id)!);
    this.restored.add(task.id);
    return true;
  }

  /**
   * After a failed restore: the recipe's earlier tasks that were left out, and the source tasks
   * of the recipes whose trees it reads, run now (each at most once, whoever asks first).
   */
  private async buildLeftOut(task: PlannedTask, buildTask: (task: PlannedTask) => Promise<void>): Promise<void> {
    const { plan } = this.build;
    const recipe = this.recipes.get(task.recipe)!;
    const needed: PlannedTask[] = [];
    for (const other of sourceReaders([recipe]).keys()) {
      const otherRecipe = this.recipes.get(other);
      if (!otherRecipe) continue;
      for (const kind of kindsOf(otherRecipe)) if (SOURCE_KINDS.has(kind)) needed.push(plan.tasks.get(taskId(other, kind))!);
    }
    const kinds = kindsOf(recipe);
    for (const kind of kinds.slice(0, kinds.indexOf(task.kind))) needed.push(plan.tasks.get(taskId(recipe.name, kind))!);
    for (const earlier of needed) {
      if (!this.unneeded.has(earlier.id)) continue;
      let running = this.building.get(earlier.id);
      if (!running) {
        running = this.runLate(earlier, buildTask);
        this.building.set(earlier.id, running);
      }
      await running;
    }
  }

  /** Runs a task the scheduler had skipped, reporting it like any other. */
  private async runLate(task: PlannedTask, buildTask: (task: PlannedTask) => Promise<void>): Promise<void> {
    if (await this.build.isUpToDate(task)) return;
    this.events.lateStarted?.(task);
    this.ranLate.add(task.id);
    const started = Date.now();
    try {
      await buildTask(task);
    } catch (error) {
      this.events.lateFinished?.(task, 'failed', Date.now() - started, error);
      throw error;
    }
    this.events.lateFinished?.(task, 'success', Date.now() - started);
  }

  /** Adds this run's counts to the cache's statistics (nothing to add when it was never used). */
  async finish(): Promise<void> {
    if (!this.artifactCache) return;
    await (await this.artifactCache).saveStats().catch(() => undefined);
  }
}
