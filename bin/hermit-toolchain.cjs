#!/usr/bin/env node
// Starts the CLI bundled by `npm run build` (dist/bundle/cli.cjs; `npm ci` builds it through the
// prepare script) with V8's code cache for it, kept in the user's cache folder: a command then
// starts without compiling 1.1 MB of JavaScript first. V8 refuses a cache that does not fit the
// file, this node or its flags (the cache is then written anew), and any trouble with the cache
// only means compiling as usual. Without the bundle, the compiled modules in dist/ do the same
// work. CommonJS, so that starting needs neither node's ES module loader nor the ES facades of
// the built-in modules this file reads.
'use strict';
const { createHash } = require('node:crypto');
const { mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } = require('node:fs');
const { createRequire } = require('node:module');
const os = require('node:os');
const path = require('node:path');
const v8 = require('node:v8');
const vm = require('node:vm');

const bundle = path.join(__dirname, '..', 'dist', 'bundle', 'cli.cjs');

/**
 * The young generation stops growing once the CLI is loaded. The pieces of every stream node
 * passes on (an unpacked tarball, a package being compressed) are freed only when the young
 * generation is collected, and at its full size (16 MiB a half) tens of MiB of them wait
 * (docs/performance.md, "Memory"). Set here rather than as `--max-semi-space-size` on node's
 * command line, which makes loading the CLI itself collect several times more often.
 */
const boundYoungGeneration = (bounded) => v8.setFlagsFromString(`--semi-space-growth-factor=${bounded ? 1 : 2}`);

/** One cache file per installed bundle; a rebuilt bundle or another node replaces it. */
function cacheFileFor(stats) {
  const base = process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  const install = createHash('sha256').update(bundle).digest('hex').slice(0, 12);
  return { dir: path.join(base, 'hermit-toolchain', 'v8'), install, name: `${install}-${process.version}-${stats.size}-${Math.trunc(stats.mtimeMs)}.bin` };
}

function loadBundle() {
  let source;
  let stats;
  try {
    stats = statSync(bundle);
    source = readFileSync(bundle, 'utf8');
  } catch {
    return undefined;
  }
  const cache = cacheFileFor(stats);
  const cacheFile = path.join(cache.dir, cache.name);
  let cachedData;
  try {
    cachedData = readFileSync(cacheFile);
  } catch {
    // First run with this bundle.
  }
  const wrapper = '(function (exports, require, module, __filename, __dirname) {';
  const script = new vm.Script(`${wrapper}${source}\n})`, { filename: bundle, cachedData });
  const module = { exports: {} };
  script.runInThisContext()(module.exports, createRequire(bundle), module, bundle, path.dirname(bundle));
  // Written after the command ran, so that the functions it compiled are in the cache too.
  const saveCache = () => {
    if (cachedData && !script.cachedDataRejected) return;
    // V8 checks the flags a cache was made with against those of the process reading it, which
    // starts with the default growth.
    boundYoungGeneration(false);
    try {
      mkdirSync(cache.dir, { recursive: true });
      const part = `${cacheFile}.${process.pid}`;
      writeFileSync(part, script.createCachedData());
      renameSync(part, cacheFile);
      for (const name of readdirSync(cache.dir)) {
        if (name.startsWith(`${cache.install}-`) && name !== cache.name) rmSync(path.join(cache.dir, name), { force: true });
      }
    } catch {
      // A read-only home: every start compiles, as it would without the cache.
    } finally {
      boundYoungGeneration(true);
    }
  };
  return { main: module.exports.main, saveCache };
}

async function start() {
  const loaded = loadBundle();
  boundYoungGeneration(true);
  const { main } = loaded ?? (await import('../dist/cli.js'));
  process.exitCode = await main(process.argv);
  loaded?.saveCache();
}

void start();
