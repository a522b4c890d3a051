#!/usr/bin/env node
// `npm run bench`: every comparison of hermit-toolchain against the tool users would otherwise
// use, each measured side by side in one run (A and B alternating), as one table of medians and
// ratios (ours/theirs: below 1 means we are faster), plus a JSON file with the raw samples.
//
//   npm run bench [-- --rounds N] [--json FILE] [--long [--long-dir DIR] [--keep DIR]] [--cache DIR]
//
// --long adds the whole chain against a toolchain.sh-style sequential script (long.mjs); it takes
// two hours on 2 cores and 16 GiB of disk in --long-dir (default /var/tmp/ht-bench-long-PID);
// --keep is where the orchestrator's logs and timeline are copied (default: the current folder). --cache is the download cache holding the real
// sources for the no-op rebuild of this repository's graph (default: the user's cache).
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { download } from './download.mjs';
import { jobserver } from './jobserver.mjs';
import { CLI, REPO, cliOptions, formatTable, run, tempDir } from './lib.mjs';
import { noop } from './noop.mjs';
import { osabi } from './osabi.mjs';
import { scheduler } from './scheduler.mjs';
import { spawnCost } from './spawn.mjs';
import { unpack } from './unpack.mjs';

const options = cliOptions();
const cacheAt = process.argv.indexOf('--cache');
const cache = cacheAt >= 0 ? path.resolve(process.argv[cacheAt + 1]) : path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'), 'hermit-toolchain');
const jsonFile = options.json ?? path.join(REPO, 'bench-results.json');
const started = Date.now();
const rows = [];
const note = (line) => console.log(`[${((Date.now() - started) / 1000).toFixed(0)}s] ${line}`);

/** The .deb comparison is its own script (it checks both packages are byte-identical). */
async function deb(rounds) {
  const file = path.join(tempDir(), 'deb.json');
  await run(process.execPath, [path.join(REPO, 'scripts/bench/deb.mjs'), '--rounds', String(rounds), '--json', file]);
  const result = JSON.parse(readFileSync(file, 'utf8'));
  return {
    name: `.deb of ${(result.treeBytes / 2 ** 20).toFixed(0)} MiB (xz)`,
    unit: 'ms',
    ours: result.medians.ours,
    theirs: result.medians['dpkg-deb'],
    ratio: result.ratio,
    samples: { ours: result.samples.ours, theirs: result.samples['dpkg-deb'] },
    note: `vs dpkg-deb -Zxz --root-owner-group -b; byte-identical: ${result.identical ? 'yes' : 'NO'}; without huge pages for xz: ${result.ratioNoHugePages.toFixed(2)}`,
  };
}

async function section(title, fn) {
  note(title);
  try {
    rows.push(...[await fn()].flat());
  } catch (error) {
    console.error(`  skipped: ${error.message.split('\n')[0]}`);
  }
}

// The real sources (Debian's copies when upstream is unreachable) for the no-op of our own graph.
await section('fetching the real sources for the no-op rebuild', async () => {
  await run(CLI, ['--cache', cache, '--work', tempDir(), 'fetch', 'binutils', 'gcc-compilers', 'newlib']).catch((error) => {
    console.error(`  (some sources could not be fetched: ${error.message.split('\n').find((l) => l.startsWith('error')) ?? 'see above'})`);
  });
  return [];
});
await section('no-op rebuilds', () => noop({ rounds: options.rounds, cache }));
await section('scheduler overhead', () => scheduler({ rounds: options.rounds }));
await section('starting steps', () => spawnCost());
await section('shared jobserver', () => jobserver({ rounds: Math.min(options.rounds, 3) }));
await section('OS/ABI stamping', () => osabi({ rounds: options.rounds }));
await section('.deb emission', () => deb(Math.min(options.rounds, 3)));
await section('download', () => download({ rounds: options.rounds }));
await section('source unpacking', () => unpack({ rounds: options.rounds, cache }));
if (options.long) {
  const { long, longOptions } = await import('./long.mjs');
  await section('the whole chain (--long)', () => long({ ...longOptions(), cache }));
}

const machine = {
  cpu: os.cpus()[0]?.model ?? 'unknown',
  cores: os.availableParallelism(),
  memoryGiB: Math.round(os.totalmem() / 2 ** 30),
  node: process.version,
  loadAverageAtEnd: os.loadavg()[0],
  os: execFileSync('sh', ['-c', '. /etc/os-release && echo "$PRETTY_NAME"']).toString().trim(),
  date: new Date().toISOString(),
};
console.log(`\n${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB, ${machine.os}, node ${machine.node}; load ${machine.loadAverageAtEnd.toFixed(1)} at the end`);
console.log(formatTable(rows));
writeFileSync(jsonFile, `${JSON.stringify({ machine, rows }, null, 2)}\n`);
console.log(`raw samples: ${jsonFile} (${((Date.now() - started) / 1000).toFixed(0)}s in all)`);
