#!/usr/bin/env node
// Restore vs build on the fixture toolchain, measured side by side in one run.
//
//   npm run build && node scripts/bench/cache.mjs [--rounds N]
//
// Each round builds the fixture in a fresh work directory four ways: without the artifact cache,
// with an empty one (build + store), restoring from the local cache, and restoring from nginx
// (WebDAV) with an empty local cache. Times are wall-clock times of the CLI, medians over the
// rounds; downloads of the sources are in the shared download cache for all of them.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { register } from 'tsx/esm/api';
import { CLI as cli, REPO as repo, median } from './lib.mjs';

register();
const { makeFixture } = await import(path.join(repo, 'test/support/fixture.ts'));
const { startNginx } = await import(path.join(repo, 'test/support/nginx.ts'));

const roundsArg = process.argv.indexOf('--rounds');
const rounds = roundsArg > 0 ? Number(process.argv[roundsArg + 1]) : 5;
const root = mkdtempSync(path.join(os.tmpdir(), 'ht-bench-cache-'));
const fixture = await makeFixture(root);
const cache = path.join(root, 'cache');
let works = 0;

/**
 * Runs one build in a fresh work directory; returns its wall time in ms and its output. (Not a
 * synchronous child: the fixture's source server runs in this process.)
 */
async function build(...args) {
  const work = path.join(root, `work-${works++}`);
  const started = process.hrtime.bigint();
  const { stdout } = await execa(cli, ['--toolchain', fixture.dir, '--work', work, '--cache', cache, '--jobs', '2', 'build', ...args], {
    env: { CI: '1' },
  });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  rmSync(work, { recursive: true, force: true });
  // The build's own time, from its summary line: no Node start-up, no module loading before it.
  const own = /^summary: .* in (?:(\d+)ms|([\d.]+)s)$/m.exec(stdout);
  const inner = own ? (own[1] !== undefined ? Number(own[1]) : Number(own[2]) * 1000) : NaN;
  return { ms, inner, stdout };
}

function expectLine(result, pattern, what) {
  if (!pattern.test(result.stdout)) throw new Error(`${what}: unexpected output:\n${result.stdout}`);
}

const artifacts = path.join(cache, 'artifacts');

let nginx;
try {
  nginx = await startNginx(path.join(root, 'nginx'));
} catch (error) {
  console.log(`(no nginx: ${error.message}; the remote column is left out)`);
}

// Warm-up: fills the download cache and the remote cache, and loads the CLI's files once.
await build('--no-artifact-cache');
if (nginx) await build('--remote-cache', nginx.url, '--remote-cache-write');

const times = { plain: [], store: [], local: [], remote: [] };
const inner = { plain: [], store: [], local: [], remote: [] };
for (let round = 0; round < rounds; round++) {
  const plain = await build('--no-artifact-cache');
  expectLine(plain, /^done +greet-app:build /m, 'build without cache');
  times.plain.push(plain.ms);
  inner.plain.push(plain.inner);

  rmSync(artifacts, { recursive: true, force: true });
  const store = await build();
  expectLine(store, /^cache: 0 restored, 3 stored, 3 misses$/m, 'build + store');
  times.store.push(store.ms);
  inner.store.push(store.inner);

  const local = await build();
  expectLine(local, /^cache: 3 restored, 0 stored, 0 misses$/m, 'local restore');
  expectLine(local, /^summary: ran 0 tasks, skipped 13/m, 'local restore');
  times.local.push(local.ms);
  inner.local.push(local.inner);

  if (nginx) {
    rmSync(artifacts, { recursive: true, force: true });
    const remote = await build('--remote-cache', nginx.url);
    expectLine(remote, /^cache: 3 restored, 0 stored, 0 misses$/m, 'remote restore');
    times.remote.push(remote.ms);
    inner.remote.push(remote.inner);
  }
}
await nginx?.stop();
await fixture.server.close();
rmSync(root, { recursive: true, force: true });

const row = (label, kind) => {
  const wall = median(times[kind]);
  const own = median(inner[kind]);
  const ratio = kind === 'plain' ? '' : `   build/this: ${(median(times.plain) / wall).toFixed(2)} wall, ${(median(inner.plain) / own).toFixed(2)} own`;
  console.log(`${label.padEnd(34)} ${wall.toFixed(0).padStart(6)} ms wall ${own.toFixed(0).padStart(6)} ms own${ratio}`);
};
console.log(`fixture toolchain (3 C recipes, 13 tasks), median of ${rounds} rounds`);
console.log('(wall: the whole CLI process; own: the time on its summary line, without Node start-up)');
row('build, no artifact cache', 'plain');
row('build + store (empty cache)', 'store');
row('restore from the local cache', 'local');
if (nginx) row('restore from nginx (empty local)', 'remote');
console.log(`ratio build / local restore: ${(median(times.plain) / median(times.local)).toFixed(2)} wall, ${(median(inner.plain) / median(inner.local)).toFixed(2)} own`);
