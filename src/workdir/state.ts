import { closeSync, mkdirSync, openSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import path from 'node:path';
import type { WorkLayout } from './layout.js';
import { TASK_KINDS, type TaskKind } from '../plan/plan.js';

/** A journal that has grown this many lines past its live entries is rewritten. */
const COMPACT_AFTER = 1000;

const FORGOTTEN = '-';

/**
 * What a task-state journal holds, read from its whole lines: the last line for a task wins, and
 * `-` forgets. A line is `<recipe> <kind> <key>`; anything else (a line cut short by a crash,
 * which the next append may have run into) is no record, and a task without one runs again.
 */
export function parseStateJournal(text: string): { keys: Map<string, string>; lines: number } {
  const keys = new Map<string, string>();
  const kinds = new Set<string>(TASK_KINDS);
  const lines = text.split('\n').slice(0, -1);
  for (const line of lines) {
    const fields = line.split(' ');
    if (fields.length !== 3 || !kinds.has(fields[1]!) || !/^([0-9a-f]+|-)$/.test(fields[2]!)) continue;
    const id = `${fields[0]}:${fields[1]}`;
    if (fields[2] === FORGOTTEN) keys.delete(id);
    else keys.set(id, fields[2]!);
  }
  return { keys, lines: lines.length };
}

/** The journal's text for `keys` alone, as a rewrite leaves it. */
export function formatStateJournal(keys: ReadonlyMap<string, string>): string {
  return [...keys].map(([id, key]) => `${id.slice(0, id.lastIndexOf(':'))} ${id.slice(id.lastIndexOf(':') + 1)} ${key}\n`).join('');
}

/**
 * The key of each task's last successful run, in one journal (`<work>/state/_keys`) that a run
 * appends a line to per change. A task is up to date when its stored key equals its key.
 *
 * The engine is the only writer, and only under the work-directory lock: tasks report success
 * or failure, and the engine records it. Readers without the lock (`legal-info`) read a journal
 * that only ever grows, except when a run that holds the lock rewrites it whole.
 *
 * One appended file, not a file per task: creating a file cost this project's build machines
 * more than a tiny task itself; and it stays open from the first line a run appends until
 * `close`, so that a line is one system call. Every access is synchronous on purpose: the lines
 * are tiny, and a thread-pool round trip for each costs far more than the system call itself.
 */
/** The journal as read: its keys, its lines, whether its last line was cut, and the old layout's files it took over. */
interface Loaded {
  readonly keys: Map<string, string>;
  lines: number;
  readonly cut: boolean;
  readonly legacy: readonly string[];
}

export class TaskState {
  private loaded: Loaded | undefined;
  private fd: number | undefined;

  constructor(private readonly layout: WorkLayout) {}

  async read(recipe: string, kind: string): Promise<string | undefined> {
    return this.load().keys.get(`${recipe}:${kind}`);
  }

  async write(recipe: string, kind: string, key: string): Promise<void> {
    this.append(recipe, kind, key);
  }

  async forget(recipe: string, kind: string): Promise<void> {
    if (this.load().keys.has(`${recipe}:${kind}`)) this.append(recipe, kind, FORGOTTEN);
  }

  /**
   * Forgets the tasks of a recipe after `kind`: they worked on what a run of `kind` replaces (a
   * fresh source tree, build folder or image), so they run again even if their keys match.
   */
  async forgetAfter(recipe: string, kind: TaskKind): Promise<void> {
    for (const later of TASK_KINDS.slice(TASK_KINDS.indexOf(kind) + 1)) await this.forget(recipe, later);
  }

  /** Forgets every task of a recipe (`clean NAME`). */
  async forgetRecipe(recipe: string): Promise<void> {
    for (const kind of TASK_KINDS) await this.forget(recipe, kind);
  }

  /**
   * Called by the holder of the work-directory lock before anything else: rewrites a journal
   * grown long with lines that no longer count, or one whose last line was cut short (so that
   * the next line does not run into it), and takes over the file-per-task state of work
   * directories made before the journal.
   */
  tidy(): void {
    // Read afresh: what was read before the lock was taken may be another run's.
    this.loaded = undefined;
    this.close();
    const state = this.load();
    if (!state.cut && state.legacy.length === 0 && state.lines - state.keys.size < COMPACT_AFTER) return;
    const file = this.layout.stateJournal;
    mkdirSync(path.dirname(file), { recursive: true });
    // Written whole or not at all: an interrupted run must never leave half the keys behind.
    const temp = `${file}.tmp-${process.pid}`;
    writeFileSync(temp, formatStateJournal(state.keys));
    renameSync(temp, file);
    this.loaded = { keys: state.keys, lines: state.keys.size, cut: false, legacy: [] };
    for (const old of state.legacy) rmSync(old, { force: true });
  }

  /** Closes the journal (the next line opens it again). */
  close(): void {
    if (this.fd === undefined) return;
    closeSync(this.fd);
    this.fd = undefined;
  }

  private load(): Loaded {
    if (this.loaded) return this.loaded;
    let text: string;
    try {
      text = readFileSync(this.layout.stateJournal, 'utf8');
    } catch {
      const legacy = readLegacyState(this.layout);
      this.loaded = { keys: new Map([...legacy].map(([id, entry]) => [id, entry.key])), lines: 0, cut: false, legacy: [...legacy.values()].map((entry) => entry.file) };
      return this.loaded;
    }
    this.loaded = { ...parseStateJournal(text), cut: text !== '' && !text.endsWith('\n'), legacy: [] };
    return this.loaded;
  }

  private append(recipe: string, kind: string, key: string): void {
    const state = this.load();
    if (this.fd === undefined) {
      mkdirSync(path.dirname(this.layout.stateJournal), { recursive: true });
      this.fd = openSync(this.layout.stateJournal, 'a');
    }
    writeSync(this.fd, `${recipe} ${kind} ${key}\n`);
    state.lines++;
    if (key === FORGOTTEN) state.keys.delete(`${recipe}:${kind}`);
    else state.keys.set(`${recipe}:${kind}`, key);
  }
}

/**
 * The `<work>/state/<recipe>/<kind>` files of work directories made before the journal, each with
 * the key it holds (by task id).
 */
function readLegacyState(layout: WorkLayout): Map<string, { file: string; key: string }> {
  const found = new Map<string, { file: string; key: string }>();
  let recipes: string[];
  try {
    recipes = readdirSync(layout.stateRoot);
  } catch {
    return found;
  }
  for (const recipe of recipes) {
    for (const kind of TASK_KINDS) {
      const file = layout.legacyState(recipe, kind);
      let key: string;
      try {
        key = readFileSync(file, 'utf8').trim();
      } catch {
        continue;
      }
      if (/^[0-9a-f]+$/.test(key)) found.set(`${recipe}:${kind}`, { file, key });
    }
  }
  return found;
}
