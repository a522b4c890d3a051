// Starting a step: node's own spawn (a fork of node, which copies its page tables on the one
// thread node has) against the step spawner (dist/process/spawner.js: a small C program that
// forks for us), each running `true` to its exit, one at a time and two at a time, at node's
// usual size and with 150 MiB more of it in use (a build holding a big recipe set, a gcc-sized
// tree record). Prints the time per step of each side and the ratio.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { REPO, median, standalone } from './lib.mjs';

const { spawnStep } = await import(path.join(REPO, 'dist/process/spawner.js'));
const env = { PATH: process.env.PATH ?? '/usr/bin:/bin' };
const STEPS = 200;

const viaNode = () => new Promise((resolve, reject) => spawn('true', [], { stdio: 'ignore', detached: true }).on('exit', resolve).on('error', reject));
const viaSpawner = async () => (await spawnStep({ argv: ['true'], cwd: '/', folders: [], logFile: '/dev/null', note: '', env }, [])).exited;

/** Milliseconds per step, `parallel` steps at a time. */
async function perStep(start, parallel) {
  const began = process.hrtime.bigint();
  let left = STEPS;
  await Promise.all(Array.from({ length: parallel }, async () => {
    while (left-- > 0) await start();
  }));
  return Number(process.hrtime.bigint() - began) / 1e6 / STEPS;
}

export async function spawnCost() {
  const rows = [];
  const ballast = [];
  for (const extra of [0, 150]) {
    while (ballast.length < extra) ballast.push(Buffer.alloc(1 << 20, 1));
    const rss = Math.round(process.memoryUsage().rss / 2 ** 20);
    for (const parallel of [1, 2]) {
      const samples = { ours: [], theirs: [] };
      for (let round = 0; round < 5; round++) {
        samples.ours.push(await perStep(viaSpawner, parallel));
        samples.theirs.push(await perStep(viaNode, parallel));
      }
      const ours = median(samples.ours);
      const theirs = median(samples.theirs);
      rows.push({ name: `start a step (\`true\`) and wait, ${parallel} at a time, node at ${rss} MiB`, unit: 'ms', ours, theirs, ratio: ours / theirs, samples, note: 'per step; the spawner vs child_process.spawn' });
    }
  }
  ballast.length = 0;
  return rows;
}

if (import.meta.url === `file://${process.argv[1]}`) await standalone(spawnCost);
