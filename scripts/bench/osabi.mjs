#!/usr/bin/env node
/**
 * Benchmark: `hermit-toolchain osabi --set` against binutils' `elfedit --output-osabi` on 20
 * copies of the host's libc.a (about 2000 members each), one call per tool with all 20 files,
 * process start included. Rounds interleave the two tools (A/B, then B/A) on the same files,
 * and every call flips the value, so every call changes every header.
 *
 * Runs the compiled CLI (`npm run build` first). Prints median wall times and the ratio
 * ours/elfedit; `--json FILE` also writes the raw samples.
 *
 *   node scripts/bench/osabi.mjs [--rounds N] [--copies N] [--source libc.a] [--json FILE]
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const cli = path.join(root, 'bin', 'hermit-toolchain.js');

const { values: args } = parseArgs({
  options: {
    rounds: { type: 'string', default: '11' },
    copies: { type: 'string', default: '20' },
    source: { type: 'string', default: '/usr/lib/x86_64-linux-gnu/libc.a' },
    json: { type: 'string' },
  },
});
const rounds = Number(args.rounds);
const copies = Number(args.copies);

function fail(message) {
  process.stderr.write(`bench osabi: ${message}\n`);
  process.exit(1);
}

if (!existsSync(path.join(root, 'dist', 'cli.js'))) fail('dist/cli.js is missing: run `npm run build` first');
if (!existsSync(args.source)) fail(`${args.source} is missing (Debian: apt-get install libc6-dev)`);
if (spawnSync('elfedit', ['--version']).status !== 0) fail('elfedit is missing (Debian: apt-get install binutils)');

/** Runs a command, returns its wall time in milliseconds; a failure ends the benchmark. */
function timed(command, argv) {
  const start = process.hrtime.bigint();
  const result = spawnSync(command, argv, { stdio: ['ignore', 'ignore', 'pipe'] });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (result.status !== 0) fail(`${command} ${argv.slice(0, 3).join(' ')} ... exited ${result.status}: ${result.stderr}`);
  return ms;
}

const median = (samples) => {
  const sorted = [...samples].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

// Two names both tools know; each call sets the one the files do not hold now.
const NAMES = [
  ['FreeBSD', 9],
  ['NetBSD', 2],
];

/** The OS/ABI byte of the first ELF member: proof that a call really changed the files. */
function firstMemberOsabi(file) {
  const bytes = readFileSync(file);
  const at = bytes.indexOf(Buffer.from([0x7f, 0x45, 0x4c, 0x46]), 8);
  return bytes[at + 7];
}

const dir = mkdtempSync(path.join(os.tmpdir(), 'bench-osabi-'));
try {
  const files = Array.from({ length: copies }, (_, i) => {
    const file = path.join(dir, `libc${i}.a`);
    copyFileSync(args.source, file);
    return file;
  });
  let calls = 0;
  const tools = {
    elfedit: (name) => timed('elfedit', ['--output-osabi', name, ...files]),
    ours: (name) => timed(process.execPath, [cli, 'osabi', '--set', name, ...files]),
  };
  const runTool = (tool) => {
    const [name, value] = NAMES[calls++ % NAMES.length];
    const ms = tools[tool](name);
    if (firstMemberOsabi(files[files.length - 1]) !== value) fail(`${tool} did not set ${name}`);
    return ms;
  };

  // Warm-up (not counted): page cache, and node's first start.
  runTool('elfedit');
  runTool('ours');

  const samples = { elfedit: [], ours: [], help: [], node: [] };
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 === 0 ? ['elfedit', 'ours'] : ['ours', 'elfedit'];
    for (const tool of order) samples[tool].push(runTool(tool));
    // Start-up alone, for reference: the CLI's --help and a bare node.
    samples.help.push(timed(process.execPath, [cli, '--help']));
    samples.node.push(timed(process.execPath, ['-e', '0']));
  }

  const medians = Object.fromEntries(Object.entries(samples).map(([tool, list]) => [tool, median(list)]));
  const ratio = medians.ours / medians.elfedit;
  const size = readFileSync(files[0]).length;
  process.stdout.write(
    [
      `osabi --set on ${copies} copies of ${args.source} (${(size / 1e6).toFixed(1)} MB each), ${rounds} rounds, A/B interleaved`,
      `  elfedit --output-osabi   median ${medians.elfedit.toFixed(1)} ms   (min ${Math.min(...samples.elfedit).toFixed(1)})`,
      `  hermit-toolchain osabi   median ${medians.ours.toFixed(1)} ms   (min ${Math.min(...samples.ours).toFixed(1)})`,
      `  for reference: hermit-toolchain --help ${medians.help.toFixed(1)} ms, node -e 0 ${medians.node.toFixed(1)} ms`,
      `ratio ours/elfedit: ${ratio.toFixed(2)}`,
      '',
    ].join('\n'),
  );
  if (args.json) {
    const report = { benchmark: 'osabi', unit: 'ms', copies, source: args.source, sourceBytes: size, rounds, samples, medians, ratio };
    writeFileSync(args.json, `${JSON.stringify(report, null, 2)}\n`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
