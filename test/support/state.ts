import { readFileSync } from 'node:fs';
import { WorkLayout } from '../../src/workdir/layout.js';
import { parseStateJournal } from '../../src/workdir/state.js';

/** The key a work directory holds for a task, as the next run would read it (undefined: none). */
export function storedKey(work: string, recipe: string, kind: string): string | undefined {
  let text: string;
  try {
    text = readFileSync(new WorkLayout(work).stateJournal, 'utf8');
  } catch {
    return undefined;
  }
  return parseStateJournal(text).keys.get(`${recipe}:${kind}`);
}
