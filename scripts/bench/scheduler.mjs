// Scheduler overhead: 300 tiny tasks (`true`) with dependencies, from scratch each time:
// hermit-toolchain against make -j2 on the same DAG.
import { rmSync } from 'node:fs';
import path from 'node:path';
import { CLI, compare, run, standalone, summarize, tempDir } from './lib.mjs';
import { dag, writeGraph } from './graphs.mjs';

export async function scheduler({ rounds }) {
  const dir = tempDir();
  // 150 recipes of two steps each: 300 tasks.
  const { toolchain, makefile } = writeGraph(dir, dag(150));
  const work = path.join(dir, 'work');
  const samples = await compare({
    rounds,
    prepare: () => {
      rmSync(work, { recursive: true, force: true });
      rmSync(path.join(dir, 'stamps'), { recursive: true, force: true });
    },
    ours: () => run('node', [CLI, '--toolchain', toolchain, '--work', work, '--cache', path.join(dir, 'cache'), '--jobs', '2', 'build']),
    theirs: () => run('make', ['-s', '-j2', '-f', makefile, '-C', dir]),
  });
  return [summarize('scheduler: 300 tiny tasks with dependencies, -j2', samples, 'ms', { note: 'vs make -j2 on the same DAG' })];
}

if (import.meta.url === `file://${process.argv[1]}`) await standalone(scheduler);
