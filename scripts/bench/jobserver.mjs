// Shared jobserver: two recipes whose builds each want `make -j8`, on a small machine. Ours runs
// them under one budget shared through the jobserver; the naive way starts both makes at once.
// Measured: wall time and the peak number of compilers running at the same moment.
import { chmodSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CLI, compare, median, run, standalone, summarize, tempDir } from './lib.mjs';

function peak(events) {
  let now = 0;
  let most = 0;
  for (const line of readFileSync(events, 'utf8').split('\n')) {
    if (line === '+') now += 1;
    if (line === '-') now -= 1;
    most = Math.max(most, now);
  }
  return most;
}

export async function jobserver({ rounds }) {
  const dir = tempDir();
  const events = path.join(dir, 'events');
  // A compiler wrapper that records when each compile starts and ends.
  const cc = path.join(dir, 'cc');
  writeFileSync(cc, `#!/bin/sh\necho + >> ${events}\ngcc "$@"; status=$?\necho - >> ${events}\nexit $status\n`);
  chmodSync(cc, 0o755);
  const sources = path.join(dir, 'sources');
  mkdirSync(sources);
  const objects = [];
  for (let i = 0; i < 8; i++) {
    // Enough code for a compile to take a noticeable fraction of a second at -O2.
    const body = Array.from({ length: 150 }, (_, k) => `double f${k}(double x) { return x * ${k + 1}.5 + f${Math.max(0, k - 1)}(x / 3); }`).join('\n');
    writeFileSync(path.join(sources, `u${i}.c`), `double f0(double x) { return x; }\n${body.replace('double f0(double x) { return x * 1.5 + f0(x / 3); }', '')}\n`);
    objects.push(`u${i}.o`);
  }
  const makefile = path.join(dir, 'Makefile');
  writeFileSync(makefile, `all: ${objects.join(' ')}\n%.o: ${sources}/%.c\n\t${cc} -O2 -c -o $@ $<\n`);
  const toolchain = path.join(dir, 'toolchain');
  mkdirSync(path.join(toolchain, 'recipes'), { recursive: true });
  for (const name of ['left', 'right']) {
    writeFileSync(path.join(toolchain, 'recipes', `${name}.yaml`), `name: ${name}\nversion: "1"\nsummary: ${name}\nlicense: MIT\nbuild:\n  - [make, -f, ${makefile}]\n`);
  }
  const jobs = os.availableParallelism();
  const peaks = { ours: [], theirs: [] };
  const objDirs = ['a', 'b'].map((d) => path.join(dir, 'naive', d));
  const samples = await compare({
    rounds,
    prepare: () => {
      writeFileSync(events, '');
      rmSync(path.join(dir, 'work'), { recursive: true, force: true });
      for (const d of objDirs) {
        rmSync(d, { recursive: true, force: true });
        mkdirSync(d, { recursive: true });
      }
    },
    ours: async () => {
      await run(CLI, ['--toolchain', toolchain, '--work', path.join(dir, 'work'), '--jobs', String(jobs), 'build']);
      peaks.ours.push(peak(events));
    },
    theirs: async () => {
      await Promise.all(objDirs.map((d) => run('make', ['-j8', '-f', makefile], { cwd: d })));
      peaks.theirs.push(peak(events));
    },
  });
  const wall = summarize(`two recipes wanting make -j8 on ${jobs} cores: wall time`, samples, 'ms', { note: 'vs both makes started naively' });
  const concurrency = {
    name: `two recipes wanting make -j8 on ${jobs} cores: peak compilers`,
    unit: 'procs',
    ours: median(peaks.ours),
    theirs: median(peaks.theirs),
    ratio: median(peaks.ours) / median(peaks.theirs),
    samples: peaks,
    note: `budget --jobs ${jobs}`,
  };
  return [wall, concurrency];
}

if (import.meta.url === `file://${process.argv[1]}`) await standalone(jobserver);
