import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/**
 * How long each task took the last time it ran, in milliseconds by task id
 * (`<work>/state/durations.json`). The engine writes it as tasks succeed; the reporters read
 * the last build's times from it to say how long a running task took before and how long the
 * build has left. Synchronous like the task state: the file is small and written once a task.
 */
export class TaskDurations {
  constructor(private readonly file: string) {}

  /** The recorded times; nothing when there is no record or it is not one (it is only a hint). */
  read(): Map<string, number> {
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(this.file, 'utf8'));
    } catch {
      return new Map();
    }
    const tasks = typeof parsed === 'object' && parsed !== null && 'tasks' in parsed ? parsed.tasks : undefined;
    if (typeof tasks !== 'object' || tasks === null) return new Map();
    return new Map(Object.entries(tasks).filter((entry): entry is [string, number] => typeof entry[1] === 'number' && Number.isFinite(entry[1]) && entry[1] >= 0));
  }

  write(durations: ReadonlyMap<string, number>): void {
    mkdirSync(path.dirname(this.file), { recursive: true });
    // Whole or not at all, as the task state: a half-written record would read as no record.
    const temp = `${this.file}.tmp-${process.pid}`;
    writeFileSync(temp, `${JSON.stringify({ tasks: Object.fromEntries(durations) }, null, 1)}\n`);
    renameSync(temp, this.file);
  }
}
