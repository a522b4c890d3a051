// No-op rebuild: everything is up to date; how long does the whole process take to find out?
// Ours (node start included) against GNU make on an equivalent Makefile of stamp files.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { CLI, REPO, compare, run, standalone, summarize, tempDir } from './lib.mjs';
import { dag, writeGraph } from './graphs.mjs';

async function synthetic(rounds, count) {
  const dir = tempDir();
  const { toolchain, makefile } = writeGraph(dir, dag(count));
  const ours = ['--toolchain', toolchain, '--work', path.join(dir, 'work'), '--cache', path.join(dir, 'cache'), 'build'];
  await run(CLI, [...ours, '--jobs', '2']);
  await run('make', ['-s', '-j2', '-f', makefile, '-C', dir]);
  const samples = await compare({
    rounds,
    ours: () => run(CLI, [...ours]),
    theirs: () => run('make', ['-s', '-f', makefile, '-C', dir]),
  });
  return summarize(`no-op rebuild, ${count} synthetic recipes (${count * 2} tasks)`, samples, 'ms', { note: 'vs make on stamp files' });
}

/**
 * The repository's own toolchain graph, made up to date with `build --touch` (nothing is
 * compiled). Sources must be in the cache: git sources, unreachable here, are replaced by an
 * empty local folder through --source.
 */
async function realGraph(rounds, cache) {
  const dir = tempDir();
  const empty = path.join(dir, 'empty');
  mkdirSync(empty);
  const base = ['--work', path.join(dir, 'work'), '--cache', cache];
  const missing = await run(CLI, [...base, 'fetch', '--offline']).then(
    () => [],
    (error) => [...String(error.message).matchAll(/\| ([a-z0-9.+-]+): git /g)].map((m) => m[1]),
  );
  const args = [...base, 'build', ...missing.flatMap((name) => ['--source', `${name}=${empty}`])];
  await run(CLI, [...args, '--touch']);
  const graph = JSON.parse(await run(CLI, [...base, 'graph', '--format', 'json']));
  const { makefile } = writeGraph(path.join(dir, 'make'), graph.recipes.map((r) => ({ name: r.name, needs: r.needs })));
  const make = ['-s', '-f', makefile, '-C', path.join(dir, 'make')];
  await run('make', make);
  const samples = await compare({ rounds, ours: () => run(CLI, [...args]), theirs: () => run('make', make) });
  return summarize(`no-op rebuild, this repository's toolchain (${graph.recipes.length} recipes)`, samples, 'ms', {
    note: `vs make on stamp files${missing.length ? `; ${missing.length} git sources given as --source` : ''}`,
  });
}

export async function noop({ rounds, cache }) {
  const rows = [await synthetic(rounds, 500)];
  if (cache) rows.unshift(await realGraph(rounds, cache));
  return rows;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const cacheAt = process.argv.indexOf('--cache');
  await standalone((options) => noop({ ...options, cache: cacheAt >= 0 ? process.argv[cacheAt + 1] : undefined }));
}
