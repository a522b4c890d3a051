// --long: the real GNU chain (binutils → gcc-compilers → newlib, from Debian's copies of the
// releases) built by hermit-toolchain against a plain sequential shell script doing the same
// unpack, patch, configure, make -jN and install steps; plus hermit-toolchain's peak RSS.
// One round of each (an hour or more apiece on 2 cores); the sources must be in the cache.
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CLI, REPO, run, standalone, tempDir, time } from './lib.mjs';

const RECIPES = ['binutils', 'gcc-compilers', 'newlib'];
const quote = (arg) => (/^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replaceAll("'", `'\\''`)}'`);

/** The shell script: what the recipes say, with the same placeholders, one recipe after another. */
async function shellScript(work, cache, jobs) {
  const [{ loadToolchain }, { availableArtifact, patchDirsFor }, { listPatches }, { expandStep }, { transitiveNeeds }] = await Promise.all([
    import(`${REPO}/dist/recipes/load.js`),
    import(`${REPO}/dist/sources/source.js`),
    import(`${REPO}/dist/sources/patch.js`),
    import(`${REPO}/dist/recipes/expand.js`),
    import(`${REPO}/dist/plan/plan.js`),
  ]);
  const toolchain = await loadToolchain(REPO);
  const { profile } = toolchain;
  const sources = { cacheDir: cache, offline: true, premirrors: [], overrides: new Map(), toolchainDir: REPO };
  const lines = ['set -e', `export MAKEFLAGS=-j${jobs}`, `export SOURCE_DATE_EPOCH=${profile.sourceDateEpoch}`];
  for (const name of RECIPES) {
    const recipe = toolchain.recipes.get(name);
    const dir = (kind) => path.join(work, kind, name);
    const artifact = await availableArtifact(sources, recipe);
    if (!artifact) throw new Error(`${name}: the source is not in the cache ${cache}; run fetch first`);
    const values = {
      name, version: recipe.version, target: profile.target, prefix: profile.prefix, osabi: String(profile.osabiValue), jobs: String(jobs),
      src: dir('src'), obj: dir('obj'), image: dir('image'), stage: dir('stage'), sysroot: path.join(dir('stage'), profile.prefix, profile.target),
    };
    lines.push(`echo "== ${name}"`, `mkdir -p ${dir('src')} ${dir('obj')} ${dir('image')} ${dir('stage')}`);
    lines.push(`tar -xf ${artifact.file} -C ${dir('src')} --strip-components=1`);
    for (const patchDir of patchDirsFor(sources, recipe, artifact)) {
      for (const patch of await listPatches(patchDir)) lines.push(`patch -s -p1 -d ${dir('src')} < ${patch}`);
    }
    for (const need of transitiveNeeds(toolchain.recipes, name)) lines.push(`cp -alf ${path.join(work, 'image', need.name)}/. ${dir('stage')}/`);
    lines.push(`cd ${dir('obj')}`, `export PATH=${path.join(dir('stage'), profile.prefix, 'bin')}:$BASE_PATH`);
    for (const kind of ['configure', 'build', 'install']) {
      for (const step of recipe[kind]) {
        lines.push(expandStep(step, { recipe: name, step: kind, values, sourceOf: () => undefined }).map(quote).join(' '));
      }
    }
  }
  const script = path.join(work, 'build.sh');
  writeFileSync(script, `${lines.join('\n')}\n`);
  return script;
}

/** Runs the CLI and reads its peak RSS (VmHWM) from /proc until it exits. */
function buildWithOrchestrator(args) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, CI: '1' } });
    let peakKiB = 0;
    const timer = setInterval(() => {
      try {
        const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
        if (match) peakKiB = Math.max(peakKiB, Number(match[1]));
      } catch {
        // Gone already.
      }
    }, 500);
    child.on('close', (code) => {
      clearInterval(timer);
      if (code === 0) resolve(peakKiB);
      else reject(new Error(`hermit-toolchain exited ${code}`));
    });
  });
}

export async function long({ cache }) {
  const jobs = os.availableParallelism();
  const dir = tempDir();
  await run(process.execPath, [CLI, '--cache', cache, '--work', path.join(dir, 'fetch'), 'fetch', ...RECIPES]);
  let peakKiB = 0;
  const ours = await time(async () => {
    peakKiB = await buildWithOrchestrator(['--work', path.join(dir, 'ours'), '--cache', cache, '--jobs', String(jobs), 'build', '--no-artifact-cache', ...RECIPES]);
  });
  const theirsDir = path.join(dir, 'theirs');
  mkdirSync(theirsDir);
  const script = await shellScript(theirsDir, cache, jobs);
  const theirs = await time(() => run('bash', [script], { env: { BASE_PATH: process.env.PATH } }));
  return [
    { name: `binutils → gcc-compilers → newlib, -j${jobs}`, unit: 'ms', ours, theirs, ratio: ours / theirs, samples: { ours: [ours], theirs: [theirs] }, note: 'vs a sequential shell script, same steps' },
    { name: 'hermit-toolchain peak RSS during that build', unit: 'MiB', ours: peakKiB / 1024, theirs: Number.NaN, ratio: Number.NaN, samples: { ours: [peakKiB / 1024], theirs: [] }, note: 'the orchestrator process alone' },
  ];
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const at = process.argv.indexOf('--cache');
  const cache = at >= 0 ? process.argv[at + 1] : path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'), 'hermit-toolchain');
  await standalone(() => long({ cache }));
}
