import { existsSync } from 'node:fs';

/**
 * Whether a path is there (a link counts when what it points to is). Synchronous underneath:
 * up-to-date checks make many of these, and a stat costs less than a thread-pool round trip.
 * The promise keeps callers free to become asynchronous again without changing their shape.
 */
export function exists(file: string): Promise<boolean> {
  return Promise.resolve(existsSync(file));
}
