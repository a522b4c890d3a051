// Scheduler overhead: tiny tasks (`true`) with dependencies, from scratch each time (no artifact
// cache: every task runs), hermit-toolchain against make -j2 on the same DAG. Two shapes: 300
// tasks with sparse dependencies, and 200 in 20 dense layers (each recipe needs every recipe of
// the layer before it), where a task can only start when a whole layer is done.
import { rmSync } from 'node:fs';
import path from 'node:path';
import { CLI, compare, run, standalone, summarize, tempDir } from './lib.mjs';
import { dag, layers, writeGraph } from './graphs.mjs';

async function measure(rounds, nodes, name) {
  const dir = tempDir();
  const { toolchain, makefile } = writeGraph(dir, nodes);
  const work = path.join(dir, 'work');
  const samples = await compare({
    rounds,
    prepare: () => {
      rmSync(work, { recursive: true, force: true });
      rmSync(path.join(dir, 'stamps'), { recursive: true, force: true });
    },
    ours: () => run(CLI, ['--toolchain', toolchain, '--work', work, '--cache', path.join(dir, 'cache'), '--jobs', '2', 'build', '--no-artifact-cache']),
    theirs: () => run('make', ['-s', '-j2', '-f', makefile, '-C', dir]),
  });
  return summarize(name, samples, 'ms', { note: 'vs make -j2 on the same DAG' });
}

export async function scheduler({ rounds }) {
  return [
    // 150 recipes of two steps each: 300 tasks.
    await measure(rounds, dag(150), 'scheduler: 300 tiny tasks, sparse dependencies, -j2'),
    // 20 layers of 5 recipes: 200 tasks.
    await measure(rounds, layers(20, 5), 'scheduler: 200 tiny tasks in 20 dense layers, -j2'),
  ];
}

if (import.meta.url === `file://${process.argv[1]}`) await standalone(scheduler);
