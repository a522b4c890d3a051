// --long: the whole chain, every recipe up to its installed image, built by hermit-toolchain
// (gcc compiled once, `build --no-package`) against a sequential shell script in the style of
// hermit-gcc's toolchain.sh: binutils, a bootstrap gcc (`make all-gcc`), the libhermit bootstrap,
// newlib, pthread-embedded, a full gcc configured and compiled again in its own folder, libhermit;
// each configured and built in turn with make -jN, all installed into one root. Same sources,
// patches and configure lines (the recipes'); the bootstrap gcc has toolchain.sh's languages.
// One round each (about an hour apiece on 2 cores); prints per-recipe wall times, the ratio and
// the orchestrator's peak RSS. The sources must be in the cache (run `fetch` with --mirror first
// where GitHub is unreachable).
import { spawn } from 'node:child_process';
import { closeSync, cpSync, existsSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CLI, REPO, run, standalone, time } from './lib.mjs';

const quote = (arg) => (/^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replaceAll("'", `'\\''`)}'`);

/** toolchain.sh's order; `gcc-bootstrap` is gcc-compilers' configure with toolchain.sh's languages. */
const SCRIPT_ORDER = ['binutils', 'gcc-bootstrap', 'libhermit-bootstrap', 'newlib', 'pthread-embedded', 'gcc', 'libhermit'];
const BOOTSTRAP_LANGUAGES = '--enable-languages=c,c++,lto';

async function loadDist() {
  const [{ loadToolchain }, source, { listPatches }, { expandStep }] = await Promise.all([
    import(`${REPO}/dist/recipes/load.js`),
    import(`${REPO}/dist/sources/source.js`),
    import(`${REPO}/dist/sources/patch.js`),
    import(`${REPO}/dist/recipes/expand.js`),
  ]);
  return { loadToolchain, source, listPatches, expandStep };
}

/** The file a recipe's source comes from: its release tarball, or its git pin's verified archive. */
async function sourceFile(source, ctx, recipe) {
  const pin = source.gitPin(recipe);
  const artifact = pin ? source.gitArchive(ctx, pin) : await source.availableArtifact(ctx, recipe);
  if (!artifact || !existsSync(artifact.file)) throw new Error(`${recipe.name}: its source is not in the cache ${ctx.cacheDir}; run fetch first`);
  return artifact;
}

/** The shell script, written from the recipes; it prints "== NAME <epoch seconds>" as each part starts. */
export async function shellScript(work, cache, jobs) {
  const { loadToolchain, source, listPatches, expandStep } = await loadDist();
  const toolchain = await loadToolchain(REPO);
  const { profile } = toolchain;
  const ctx = { cacheDir: cache, offline: true, premirrors: [], overrides: new Map(), toolchainDir: REPO };
  const root = path.join(work, 'root');
  const sysroot = path.join(root, profile.prefix, profile.target);
  const srcOf = (name) => path.join(work, 'src', name);
  const lines = ['set -e', `export MAKEFLAGS=-j${jobs}`, `export SOURCE_DATE_EPOCH=${profile.sourceDateEpoch}`, `export PATH=${path.join(root, profile.prefix, 'bin')}:$BASE_PATH`];
  const mark = (name) => lines.push(`echo "== ${name} $(date +%s.%N)"`);

  // Like toolchain.sh's clones: every source tree first, patched.
  mark('sources');
  const treeOf = new Map();
  for (const recipe of toolchain.recipes.values()) {
    if (!recipe.source || recipe.continues) continue;
    const artifact = await sourceFile(source, ctx, recipe);
    const dir = srcOf(recipe.name);
    treeOf.set(recipe.name, dir);
    lines.push(`mkdir -p ${dir}`, `tar -xf ${artifact.file} -C ${dir} --strip-components=1`);
    for (const patchDir of source.patchDirsFor(ctx, recipe, source.gitPin(recipe) ? undefined : artifact)) {
      for (const patch of await listPatches(patchDir)) lines.push(`patch -s -p1 -d ${dir} < ${patch}`);
    }
  }

  const compilers = toolchain.recipes.get('gcc-compilers');
  for (const part of SCRIPT_ORDER) {
    const steps = { configure: [], build: [], install: [] };
    let recipe;
    let tree;
    if (part === 'gcc-bootstrap') {
      recipe = compilers;
      tree = treeOf.get('gcc-compilers');
      steps.configure = compilers.configure.map((step) => step.map((arg) => (arg.startsWith('--enable-languages=') ? BOOTSTRAP_LANGUAGES : arg)));
      steps.build = compilers.build;
      steps.install = compilers.install;
    } else if (part === 'gcc') {
      // A fresh folder, configured again now that newlib is in the root: what a second gcc build does.
      recipe = toolchain.recipes.get('gcc');
      tree = treeOf.get('gcc-compilers');
      steps.configure = compilers.configure;
      steps.build = [['make']];
      steps.install = recipe.install;
    } else {
      recipe = toolchain.recipes.get(part);
      tree = treeOf.get(part);
      Object.assign(steps, { configure: recipe.configure, build: recipe.build, install: recipe.install });
    }
    const obj = path.join(work, 'obj', part);
    const values = {
      name: recipe.name, version: recipe.version, target: profile.target, prefix: profile.prefix, osabi: String(profile.osabiValue), jobs: String(jobs),
      src: tree, obj, image: root, stage: root, sysroot,
    };
    mark(part);
    lines.push(`mkdir -p ${obj}`, `cd ${obj}`);
    for (const [kind, list] of Object.entries(steps)) {
      list.forEach((step, index) => {
        const argv = expandStep(step, { recipe: part, step: `${kind} step ${index + 1}`, values, sourceOf: (other) => treeOf.get(other) });
        lines.push(argv.map(quote).join(' '));
      });
    }
  }
  mark('end');
  const script = path.join(work, 'toolchain.sh');
  writeFileSync(script, `${lines.join('\n')}\n`);
  return script;
}

/**
 * Runs a command with its output going to a file (to follow while it runs); rejects on failure.
 * `onTick(pid)` is called every 250 ms while it runs.
 */
function runToFile(command, args, logFile, env, onTick) {
  return new Promise((resolve, reject) => {
    const fd = openSync(logFile, 'w');
    const child = spawn(command, args, { stdio: ['ignore', fd, fd], env });
    closeSync(fd);
    const timer = onTick ? setInterval(() => onTick(child.pid), 250) : undefined;
    child.on('error', reject);
    child.on('close', (code) => {
      clearInterval(timer);
      if (code === 0) resolve();
      else reject(new Error(`${command} ${args.join(' ')} exited ${code}; its output: ${logFile}`));
    });
  });
}

/** Runs the CLI and reads its peak RSS (VmHWM) from /proc until it exits. */
export async function buildWithOrchestrator(args, logFile) {
  let peakKiB = 0;
  await runToFile(CLI, [...args], logFile, { ...process.env, CI: '1' }, (pid) => {
    try {
      const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
      if (match) peakKiB = Math.max(peakKiB, Number(match[1]));
    } catch {
      // Gone already.
    }
  });
  return peakKiB;
}

/** Per-recipe wall time of the orchestrator's run: first task start to last task end, from its timeline. */
function oursPerRecipe(workDir) {
  const timeline = JSON.parse(readFileSync(path.join(workDir, 'logs', 'timeline.json'), 'utf8'));
  const spans = new Map();
  for (const task of timeline.tasks) {
    if (task.startMs === undefined || task.endMs === undefined || task.kind === 'fetch') continue;
    const span = spans.get(task.recipe) ?? { start: Infinity, end: 0 };
    spans.set(task.recipe, { start: Math.min(span.start, task.startMs), end: Math.max(span.end, task.endMs) });
  }
  return spans;
}

/** Per-part wall time of the script, from its "== NAME seconds" marks. */
function theirsPerPart(output) {
  const marks = [...output.matchAll(/^== (\S+) (\d+\.\d+)$/gm)].map((m) => ({ name: m[1], at: Number(m[2]) * 1000 }));
  const spans = new Map();
  for (let i = 0; i + 1 < marks.length; i++) spans.set(marks[i].name, { start: marks[i].at - marks[0].at, end: marks[i + 1].at - marks[0].at });
  return spans;
}

const minutes = (ms) => `${(ms / 60000).toFixed(1)} min`;

export async function long({ cache, dir, keep }) {
  const jobs = os.availableParallelism();
  mkdirSync(dir, { recursive: true });
  const say = (line) => console.log(`[long ${new Date().toISOString().slice(11, 19)}] ${line}`);
  await run(CLI, ['--cache', cache, '--work', path.join(dir, 'fetch'), 'fetch', '--offline']);

  // The script first: were it to fail, that shows in minutes, not after the orchestrator's hour.
  const theirsWork = path.join(dir, 'theirs');
  mkdirSync(theirsWork, { recursive: true });
  const script = await shellScript(theirsWork, cache, jobs);
  say(`sequential script ${script}`);
  const theirsLog = path.join(dir, 'theirs.log');
  const theirs = await time(() => runToFile('bash', [script], theirsLog, { ...process.env, BASE_PATH: process.env.PATH }));
  const output = readFileSync(theirsLog, 'utf8');
  say(`script: ${minutes(theirs)}`);

  const oursWork = path.join(dir, 'ours');
  say(`hermit-toolchain build --no-package in ${oursWork}`);
  let peakKiB = 0;
  const ours = await time(async () => {
    peakKiB = await buildWithOrchestrator(['--work', oursWork, '--cache', cache, '--jobs', String(jobs), 'build', '--no-artifact-cache', '--no-package'], path.join(dir, 'ours.log'));
  });
  say(`hermit-toolchain: ${minutes(ours)}, peak RSS ${(peakKiB / 1024).toFixed(0)} MiB`);
  if (keep) cpSync(path.join(oursWork, 'logs'), path.join(keep, 'ours-logs'), { recursive: true });

  const ourSpans = oursPerRecipe(oursWork);
  const theirSpans = theirsPerPart(output);
  console.log('\nper recipe, wall time (start → end, minutes since the build began):');
  for (const [name, span] of ourSpans) console.log(`  ours    ${name.padEnd(20)} ${minutes(span.end - span.start).padStart(9)}  (${(span.start / 60000).toFixed(1)} → ${(span.end / 60000).toFixed(1)})`);
  for (const [name, span] of theirSpans) console.log(`  script  ${name.padEnd(20)} ${minutes(span.end - span.start).padStart(9)}  (${(span.start / 60000).toFixed(1)} → ${(span.end / 60000).toFixed(1)})`);
  const perRecipe = { ours: Object.fromEntries(ourSpans), theirs: Object.fromEntries(theirSpans) };
  return [
    { name: `whole chain to installed images, -j${jobs}`, unit: 'ms', ours, theirs, ratio: ours / theirs, samples: { ours: [ours], theirs: [theirs] }, perRecipe, note: 'vs a toolchain.sh-style sequential script (gcc built twice)' },
    { name: 'hermit-toolchain peak RSS during that build', unit: 'MiB', ours: peakKiB / 1024, theirs: Number.NaN, ratio: Number.NaN, samples: { ours: [peakKiB / 1024], theirs: [] }, note: 'VmHWM of the orchestrator process alone' },
  ];
}

const option = (flag) => {
  const at = process.argv.indexOf(flag);
  return at >= 0 ? path.resolve(process.argv[at + 1]) : undefined;
};

/** The folder the two builds use (about 8 GiB each) and where the orchestrator's logs are kept. */
export function longOptions() {
  const cache = option('--cache') ?? path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'), 'hermit-toolchain');
  return { cache, dir: option('--long-dir') ?? path.join('/var/tmp', `ht-bench-long-${process.pid}`), keep: option('--keep') ?? process.cwd() };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await standalone(() => long(longOptions()));
}
