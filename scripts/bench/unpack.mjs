// Unpacking a real release tarball (gcc's, binutils'): ours (GNU tar behind our header filter,
// in a process of its own so that its peak RSS is its own) against `tar -xJf`, alternating runs
// (ours, tar, ours, tar) and printing each, since a loaded machine's disk varies a lot; the CPU
// time of each side (its processes together) is printed too, being less at the mercy of the load.
//
// The tarballs come from the download cache (`npm run bench` fetches binutils and gcc-bootstrap
// first); missing ones are taken from Debian's gcc-12-source and binutils-source packages.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { REPO, median, run, standalone, tempDir, time } from './lib.mjs';

const TARBALLS = [
  { name: 'gcc', file: /^gcc-12\.2\.0(-dfsg)?\.tar\.xz$/, deb: 'gcc-12-source' },
  { name: 'binutils', file: /^binutils-2\.40\.tar\.xz$/, deb: 'binutils-source' },
];

/** The first file under `dir` (recursively) whose name matches. */
function findFile(dir, pattern) {
  if (!existsSync(dir)) return undefined;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      const found = findFile(full, pattern);
      if (found) return found;
    } else if (pattern.test(entry.name)) return full;
  }
  return undefined;
}

function tarball({ file, deb }, cache) {
  const cached = findFile(path.join(cache, 'downloads'), file);
  if (cached) return cached;
  const dir = tempDir('ht-bench-deb-');
  execFileSync('apt-get', ['download', deb], { cwd: dir, stdio: 'ignore' });
  const package_ = readdirSync(dir).find((name) => name.endsWith('.deb'));
  execFileSync('dpkg-deb', ['-x', package_, 'x'], { cwd: dir });
  return findFile(path.join(dir, 'x'), file);
}

/** GNU time, for the CPU time of each side with its children. */
const TIME = '/usr/bin/time';

/** Our unpack, alone in a node process, its young generation bounded as the CLI bounds it; prints its peak RSS in KiB. */
const OURS = `
const { unpackArchive } = await import(${JSON.stringify(path.join(REPO, 'dist/sources/unpack.js'))});
(await import('node:v8')).default.setFlagsFromString('--semi-space-growth-factor=1');
const [archive, dest] = process.argv.slice(1);
await unpackArchive(archive, { dest, temp: dest + '.unpacking' });
console.log(process.resourceUsage().maxRSS);
`;

/** Every entry of a tree with its size and link target, to check both sides made the same tree. */
const listing = (dir) =>
  execFileSync('sh', ['-c', 'find . -type d -printf "%P d\\n" -o -printf "%P %y %s %l\\n" | sort'], { cwd: dir, maxBuffer: 1 << 30 }).toString();

export async function unpack({ rounds, cache }) {
  const runs = Math.max(2, Math.min(rounds, 3));
  const rows = [];
  for (const spec of TARBALLS) {
    const archive = tarball(spec, cache);
    if (!archive) throw new Error(`no ${spec.name} tarball in ${cache} nor in ${spec.deb}`);
    const base = path.basename(archive);
    const dir = tempDir('ht-bench-unpack-');
    const ours = path.join(dir, 'ours');
    const theirs = path.join(dir, 'tar');
    const samples = { ours: [], theirs: [] };
    const rss = [];
    const cpu = { ours: [], theirs: [] };
    for (let round = 0; round < runs; round++) {
      for (const side of ['ours', 'theirs']) {
        rmSync(side === 'ours' ? ours : theirs, { recursive: true, force: true });
        if (side === 'theirs') execFileSync('mkdir', ['-p', theirs]);
        // Neither side pays for writing back what the one before left in the page cache.
        execFileSync('sync');
        const argv = side === 'ours' ? [process.execPath, '--input-type=module', '-e', OURS, archive, ours] : ['tar', '-xJf', archive, '-C', theirs];
        let printed = '';
        samples[side].push(await time(async () => (printed = await run(TIME, ['-f', 'cpu %U %S', ...argv]))));
        // CPU seconds of the whole tree of processes (node, xz, tar): less at the mercy of the load than wall time.
        const used = /^cpu ([\d.]+) ([\d.]+)$/m.exec(printed);
        cpu[side].push(used ? Number(used[1]) + Number(used[2]) : NaN);
        if (side === 'ours') rss.push(Number(/^(\d+)$/m.exec(printed)?.[1]) / 1024);
        const what = side === 'ours' ? `ours #${round + 1}` : `tar -xJf #${round + 1}`;
        const extra = side === 'ours' ? `, peak RSS ${rss.at(-1).toFixed(0)} MiB` : '';
        console.log(`  ${base}: ${what} ${(samples[side].at(-1) / 1000).toFixed(1)} s (cpu ${cpu[side].at(-1).toFixed(1)} s)${extra}`);
      }
      if (round === 0) {
        const top = readdirSync(theirs);
        const same = top.length === 1 && listing(ours) === listing(path.join(theirs, top[0]));
        if (!same) throw new Error(`${base}: our tree differs from tar's`);
      }
    }
    rmSync(dir, { recursive: true, force: true });
    const size = statSync(archive).size / 2 ** 20;
    rows.push({
      name: `unpack ${base} (${size.toFixed(0)} MiB)`,
      unit: 'ms',
      ours: median(samples.ours),
      theirs: median(samples.theirs),
      ratio: median(samples.ours) / median(samples.theirs),
      samples,
      peakRssMiB: rss,
      cpuSeconds: cpu,
      note: `vs tar -xJf, same tree; our peak RSS ${Math.max(...rss).toFixed(0)} MiB; runs ours ${samples.ours.map((ms) => (ms / 1000).toFixed(1)).join(', ')} s, tar ${samples.theirs.map((ms) => (ms / 1000).toFixed(1)).join(', ')} s; cpu ours/tar ${(median(cpu.ours) / median(cpu.theirs)).toFixed(2)}`,
    });
  }
  return rows;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const cacheAt = process.argv.indexOf('--cache');
  const cache = cacheAt >= 0 ? path.resolve(process.argv[cacheAt + 1]) : path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'), 'hermit-toolchain');
  await standalone((options) => unpack({ ...options, cache }));
}
