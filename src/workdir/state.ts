import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { WorkLayout } from './layout.js';
import { TASK_KINDS, type TaskKind } from '../plan/plan.js';

/**
 * The key of each task's last successful run, one small file per task
 * (`<work>/state/<recipe>/<task>`). A task is up to date when its stored key equals its key.
 *
 * The engine is the only writer: tasks report success or failure, and the engine records it.
 *
 * Every access is synchronous on purpose: these files are tiny and touched a few times per task,
 * and a thread-pool round trip for each costs far more than the system call itself.
 */
export class TaskState {
  constructor(private readonly layout: WorkLayout) {}

  async read(recipe: string, kind: string): Promise<string | undefined> {
    try {
      return readFileSync(this.layout.state(recipe, kind), 'utf8').trim();
    } catch {
      return undefined;
    }
  }

  async write(recipe: string, kind: string, key: string): Promise<void> {
    const file = this.layout.state(recipe, kind);
    mkdirSync(path.dirname(file), { recursive: true });
    // Written whole or not at all: an interrupted run must never leave a half key behind.
    const temp = `${file}.tmp-${process.pid}`;
    writeFileSync(temp, `${key}\n`);
    renameSync(temp, file);
  }

  async forget(recipe: string, kind: string): Promise<void> {
    rmSync(this.layout.state(recipe, kind), { force: true });
  }

  /**
   * Forgets the tasks of a recipe after `kind`: they worked on what a run of `kind` replaces (a
   * fresh source tree, build folder or image), so they run again even if their keys match.
   */
  async forgetAfter(recipe: string, kind: TaskKind): Promise<void> {
    for (const later of TASK_KINDS.slice(TASK_KINDS.indexOf(kind) + 1)) await this.forget(recipe, later);
  }
}
