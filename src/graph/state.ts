import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { WorkLayout } from '../build/layout.js';

/**
 * The key of each task's last successful run, one small file per task
 * (`<work>/state/<recipe>/<task>`). A task is up to date when its stored key equals its key.
 */
export class TaskState {
  constructor(private readonly layout: WorkLayout) {}

  async read(recipe: string, kind: string): Promise<string | undefined> {
    try {
      return (await readFile(this.layout.state(recipe, kind), 'utf8')).trim();
    } catch {
      return undefined;
    }
  }

  async write(recipe: string, kind: string, key: string): Promise<void> {
    const file = this.layout.state(recipe, kind);
    await mkdir(path.dirname(file), { recursive: true });
    // Written whole or not at all: an interrupted run must never leave a half key behind.
    const temp = `${file}.tmp-${process.pid}`;
    await writeFile(temp, `${key}\n`);
    await rename(temp, file);
  }

  async forget(recipe: string, kind: string): Promise<void> {
    await rm(this.layout.state(recipe, kind), { force: true });
  }
}
