// This checkout against another one (e.g. main before a refactor of the engine), side by side:
// the no-op rebuild of 500 synthetic recipes and the scheduler's two graphs of tiny tasks (300
// with sparse dependencies, 200 in 20 dense layers), each command run by both CLIs in
// alternation. Below 1: this checkout is faster.
//
//   node scripts/bench/against.mjs --against DIR [--rounds N] [--json FILE]
//
// DIR is a checkout with its dist/ built (npm run build).
import { existsSync, rmSync } from 'node:fs';
import path from 'node:path';
import { dag, layers, writeGraph } from './graphs.mjs';
import { CLI, compare, run, standalone, summarize, tempDir } from './lib.mjs';

const at = process.argv.indexOf('--against');
if (at < 0) throw new Error('usage: against.mjs --against DIR [--rounds N]');
// Checkouts from before the CLI's entry became CommonJS have bin/hermit-toolchain.js.
const otherBin = path.join(path.resolve(process.argv[at + 1]), 'bin');
const other = ['hermit-toolchain.cjs', 'hermit-toolchain.js'].map((name) => path.join(otherBin, name)).find((file) => existsSync(file)) ?? path.join(otherBin, 'hermit-toolchain.cjs');

/** One toolchain of synthetic recipes per side, so that neither sees the other's state. */
function sides(nodes) {
  return Object.fromEntries(
    ['ours', 'theirs'].map((side) => {
      const dir = tempDir();
      const { toolchain } = writeGraph(dir, nodes);
      return [side, { dir, args: ['--toolchain', toolchain, '--work', path.join(dir, 'work'), '--cache', path.join(dir, 'cache'), '--jobs', '2', 'build'] }];
    }),
  );
}

async function noop(rounds) {
  const s = sides(dag(500));
  await run(CLI, [...s.ours.args]);
  await run(other, [...s.theirs.args]);
  const samples = await compare({ rounds, ours: () => run(CLI, [...s.ours.args]), theirs: () => run(other, [...s.theirs.args]) });
  return summarize('no-op rebuild, 500 synthetic recipes (1000 tasks)', samples, 'ms', { note: `vs ${other}` });
}

/** Every task run, as in scheduler.mjs: no artifact cache, which would restore them from the second round on. */
async function scheduler(rounds, nodes, name) {
  const s = sides(nodes);
  const samples = await compare({
    rounds,
    prepare: (side) => rmSync(path.join(s[side].dir, 'work'), { recursive: true, force: true }),
    ours: () => run(CLI, [...s.ours.args, '--no-artifact-cache']),
    theirs: () => run(other, [...s.theirs.args, '--no-artifact-cache']),
  });
  return summarize(name, samples, 'ms', { note: `vs ${other}` });
}

await standalone(async ({ rounds }) => [
  await noop(rounds),
  await scheduler(rounds, dag(150), 'scheduler: 300 tiny tasks, sparse dependencies, -j2'),
  await scheduler(rounds, layers(20, 5), 'scheduler: 200 tiny tasks in 20 dense layers, -j2'),
]);
