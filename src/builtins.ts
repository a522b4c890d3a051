import { createRequire } from 'node:module';

// Built-in modules that only some work needs, loaded when first asked for: each costs a command
// with nothing to do (a no-op build) milliseconds to load, child_process with node's sockets.
const load = createRequire(import.meta.url);

export function zlib(): typeof import('node:zlib') {
  return load('node:zlib') as typeof import('node:zlib');
}

export function childProcess(): typeof import('node:child_process') {
  return load('node:child_process') as typeof import('node:child_process');
}
