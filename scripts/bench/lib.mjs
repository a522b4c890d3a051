// Shared helpers of the benchmark scripts: timing whole commands, alternating the two sides,
// medians, and the table every script prints.
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
/** The CLI, run as users run it: as a program. */
export const CLI = path.join(REPO, 'bin', 'hermit-toolchain.cjs');

/** Runs a command to completion; rejects on a non-zero exit with its output. */
export function run(command, args, options = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], ...options, env: { ...process.env, CI: '1', ...options.env } });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(output) : reject(new Error(`${command} ${args.join(' ')} exited ${code}:\n${output.slice(-2000)}`))));
  });
}

/** Wall time of one run of `fn`, in milliseconds. */
export async function time(fn) {
  const started = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - started) / 1e6;
}

export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/**
 * Measures two sides side by side: A, B, A, B, ... so that whatever else the machine does
 * affects both alike. `prepare` runs before every sample, untimed, and then `sync`.
 */
export async function compare({ rounds, ours, theirs, prepare }) {
  const samples = { ours: [], theirs: [] };
  for (let round = 0; round < rounds; round++) {
    for (const [side, fn] of round % 2 === 0 ? [['ours', ours], ['theirs', theirs]] : [['theirs', theirs], ['ours', ours]]) {
      if (prepare) await prepare(side);
      // What the last sample removed is written out now, untimed: on ext4 with `discard` the
      // freeing of thousands of inodes otherwise lands in the next sample, whichever side it is.
      execFileSync('sync');
      samples[side].push(await time(fn));
    }
  }
  return samples;
}

/** Folders to remove at exit: one listener for all of them (one each warned past ten). */
const tempDirs = new Set();
process.on('exit', () => {
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});

export function tempDir(prefix = 'ht-bench-') {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  tempDirs.add(dir);
  return dir;
}

/** One result row: medians and the ratio ours/theirs (below 1 means we are faster). */
export function summarize(name, samples, unit = 'ms', extra = {}) {
  const ours = median(samples.ours);
  const theirs = median(samples.theirs);
  return { name, unit, ours, theirs, ratio: ours / theirs, samples, ...extra };
}

export function formatTable(rows) {
  const lines = [['comparison', 'ours', 'theirs', 'ours/theirs', 'notes']];
  for (const row of rows) {
    const fmt = (v) => (Number.isNaN(v) ? '-' : row.unit === 'ms' ? `${v.toFixed(v < 100 ? 1 : 0)} ms` : `${v.toFixed(2)} ${row.unit}`);
    lines.push([row.name, fmt(row.ours), fmt(row.theirs), Number.isNaN(row.ratio) ? '-' : row.ratio.toFixed(2), row.note ?? '']);
  }
  const widths = lines[0].map((_, i) => Math.max(...lines.map((l) => l[i].length)));
  return lines.map((l) => `| ${l.map((cell, i) => cell.padEnd(widths[i])).join(' | ')} |`).join('\n');
}

/** Standalone use: `node scripts/bench/x.mjs [--rounds N] [--json FILE]`. */
export function cliOptions(argv = process.argv.slice(2)) {
  const value = (flag, fallback) => {
    const at = argv.indexOf(flag);
    return at >= 0 ? argv[at + 1] : fallback;
  };
  return { rounds: Number(value('--rounds', '5')), json: value('--json', undefined), long: argv.includes('--long') };
}

export async function standalone(benchmark) {
  const options = cliOptions();
  const rows = await benchmark(options);
  console.log(formatTable(rows));
  if (options.json) writeFileSync(options.json, `${JSON.stringify(rows, null, 2)}\n`);
}
