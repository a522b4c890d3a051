#!/usr/bin/env node
// Packs one large tree with dpkg-deb and with `hermit-toolchain package --tree`, taking turns
// for several rounds, and prints the median wall times and the ratio ours/dpkg-deb. A third side
// runs ours with xz's huge pages turned off (see compressorEnv in src/package/compress.ts), to
// show what they account for.
//
//   node scripts/bench/deb.mjs [--rounds N] [--copies N] [--json FILE]
//
// Settings (the same for all sides): xz preset 6 with CRC64 and the multi-threaded encoder on every
// core (what dpkg-deb 1.21 does through liblzma: -Zxz, default level 6, threads = cores; ours runs
// `xz -6 --threads=<cores>` with the same 24 MiB blocks), root:root ownership, SOURCE_DATE_EPOCH
// set. All packages are checked to be byte-identical, so all did the same work.
// Needs the compiled CLI (npm run build) and dpkg-deb.

import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CLI, REPO, median } from './lib.mjs';

const LIBC_A = '/usr/lib/x86_64-linux-gnu/libc.a';

function option(name, fallback) {
  const index = process.argv.indexOf(name);
  return index >= 0 ? process.argv[index + 1] : fallback;
}
const rounds = Number(option('--rounds', '5'));
const copies = Number(option('--copies', '8'));
const jsonFile = option('--json', undefined);

if (!existsSync(path.join(REPO, 'dist', 'cli.js'))) throw new Error('dist/ is missing: run `npm run build` first');
if (!existsSync(LIBC_A)) throw new Error(`${LIBC_A} is missing (Debian package libc6-dev)`);

const work = mkdtempSync(path.join(os.tmpdir(), 'ht-bench-deb-'));
try {
  const tree = path.join(work, 'tree');
  mkdirSync(path.join(tree, 'DEBIAN'), { recursive: true });
  mkdirSync(path.join(tree, 'opt/hermit/x86_64-hermit/lib'), { recursive: true });
  mkdirSync(path.join(tree, 'opt/hermit/share/doc/bench'), { recursive: true });
  for (let i = 1; i <= copies; i++) copyFileSync(LIBC_A, path.join(tree, `opt/hermit/x86_64-hermit/lib/libc${i}.a`));
  for (const name of ['README', 'NEWS', 'COPYING']) writeFileSync(path.join(tree, 'opt/hermit/share/doc/bench', name), `${name} of the benchmark tree\n`);
  writeFileSync(
    path.join(tree, 'DEBIAN/control'),
    'Package: bench-hermit\nVersion: 1.0-1\nArchitecture: all\nMaintainer: Bench <bench@example.org>\nDescription: benchmark tree\n',
  );
  const env = { ...process.env, SOURCE_DATE_EPOCH: '1672531200', CI: '1' };
  const oursCommand = (out) => [CLI, ['package', '--tree', tree, '--out', out, '--compress', 'xz']];
  const commands = {
    'dpkg-deb': (out) => ['dpkg-deb', ['-Zxz', '--root-owner-group', '-b', tree, path.join(out, 'bench.deb')]],
    ours: oursCommand,
    // Ours runs xz with glibc's malloc asking for transparent huge pages (src/package/compress.ts);
    // this third side turns that off, to show how much of the result it accounts for.
    'ours, no huge pages': oursCommand,
  };
  const sideEnv = { 'ours, no huge pages': { GLIBC_TUNABLES: 'glibc.malloc.hugetlb=0' } };
  const outputs = Object.fromEntries(Object.keys(commands).map((name, i) => [name, path.join(work, `side${i}`)]));
  // Wall time is what counts; CPU time (user + system of the command and its children, from
  // bash's `times`) is reported too, because other work on a shared machine inflates wall time.
  const run = (name) => {
    rmSync(outputs[name], { recursive: true, force: true });
    mkdirSync(outputs[name], { recursive: true });
    const [command, args] = commands[name](outputs[name]);
    const started = process.hrtime.bigint();
    const result = spawnSync('bash', ['-c', '"$@" > /dev/null || exit; times', 'bash', command, ...args], { env: { ...env, ...sideEnv[name] }, stdio: ['ignore', 'pipe', 'pipe'] });
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    if (result.status !== 0) throw new Error(`${name} failed: ${result.stderr}`);
    const children = result.stdout.toString().trim().split('\n').at(-1);
    const seconds = [...children.matchAll(/(\d+)m([\d.]+)s/g)].map((m) => Number(m[1]) * 60 + Number(m[2]));
    return { ms, cpuMs: (seconds[0] + seconds[1]) * 1000 };
  };

  // One unmeasured run each warms the page cache and checks that all made the same package.
  const sides = Object.keys(commands);
  for (const name of sides) run(name);
  const packageOf = (name) => readFileSync(path.join(outputs[name], name === 'dpkg-deb' ? 'bench.deb' : 'bench-hermit_1.0-1_all.deb'));
  const identical = sides.every((name) => packageOf(name).equals(packageOf('dpkg-deb')));
  const samples = Object.fromEntries(sides.map((name) => [name, []]));
  const cpuSamples = Object.fromEntries(sides.map((name) => [name, []]));
  for (let round = 0; round < rounds; round++) {
    // Rotate who goes first, so that no side always runs on a machine another just warmed.
    const order = sides.map((_, i) => sides[(i + round) % sides.length]);
    for (const name of order) {
      const { ms, cpuMs } = run(name);
      samples[name].push(ms);
      cpuSamples[name].push(cpuMs);
    }
  }
  const medians = Object.fromEntries(sides.map((name) => [name, median(samples[name])]));
  const ratio = medians.ours / medians['dpkg-deb'];
  const ratioNoHugePages = medians['ours, no huge pages'] / medians['dpkg-deb'];
  const cpuMedians = Object.fromEntries(sides.map((name) => [name, median(cpuSamples[name])]));
  const cpuRatio = cpuMedians.ours / cpuMedians['dpkg-deb'];
  const load = os.loadavg()[0];
  const treeBytes = copies * readFileSync(LIBC_A).length;
  const dpkgVersion = execFileSync('dpkg-deb', ['--version']).toString().split('\n')[0];
  const xzVersion = execFileSync('xz', ['--version']).toString().split('\n')[0];

  console.log(`tree: ${copies} copies of ${LIBC_A} (${(treeBytes / 2 ** 20).toFixed(1)} MiB) + 3 small files; ${os.availableParallelism()} cores`);
  console.log(`settings: xz preset 6, CRC64, multi-threaded encoder on ${os.availableParallelism()} threads (24 MiB blocks), root:root, SOURCE_DATE_EPOCH`);
  console.log(`${dpkgVersion}; ours: hermit-toolchain package --tree with ${xzVersion}`);
  console.log(`packages byte-identical: ${identical ? 'yes' : 'NO'}`);
  for (const name of sides) {
    console.log(`${`${name}:`.padEnd(21)} median ${medians[name].toFixed(0)} ms over ${rounds} rounds (${samples[name].map((v) => v.toFixed(0)).join(', ')}); cpu ${cpuMedians[name].toFixed(0)} ms`);
  }
  console.log(`ratio ours/dpkg-deb: ${ratio.toFixed(3)} (without huge pages for xz: ${ratioNoHugePages.toFixed(3)})`);
  console.log(`cpu time (user+sys) ratio ours/dpkg-deb: ${cpuRatio.toFixed(3)}; load average ${load.toFixed(1)}`);
  if (jsonFile) {
    writeFileSync(
      jsonFile,
      `${JSON.stringify({ benchmark: 'deb', unit: 'ms', rounds, copies, treeBytes, cores: os.availableParallelism(), identical, samples, medians, ratio, ratioNoHugePages, cpuSamples, cpuMedians, cpuRatio, loadAverage: load, dpkgVersion, xzVersion }, null, 2)}\n`,
    );
  }
  if (!identical) process.exitCode = 1;
} finally {
  rmSync(work, { recursive: true, force: true });
}
