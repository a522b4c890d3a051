#!/usr/bin/env node
// Second half of `npm run build`: the compiled CLI (dist/cli.js and the ~350 modules it imports,
// execa's and zod's included) as one CommonJS file, dist/bundle/cli.cjs, which bin/ starts with
// V8's code cache. Resolving and loading each module separately, then compiling them, was most of
// a no-op build's time (`npm run bench`, no-op rows), and Node 20 keeps no code cache for ES
// modules. The bundle sits two folders below the package root like dist/commands/*.js, so
// PACKAGE_ROOT resolves the same from both.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const dist = path.join(root, 'dist');

// The parse cache names its entries by the schemas' compiled text (recipes/parse-cache.ts),
// which the bundle cannot read beside itself: it gets the same digest as a constant.
const schemaId = ['schema', 'profile']
  .reduce((hash, name) => hash.update(readFileSync(path.join(dist, 'recipes', `${name}.js`))), createHash('sha256'))
  .digest('hex')
  .slice(0, 16);

// zod exports its messages in every language it has, a quarter of the bundle that every command
// would load; ours are in English, the one zod uses unless told otherwise.
const zodInEnglishOnly = {
  name: 'zod-in-english-only',
  setup(build) {
    build.onLoad({ filter: /[\\/]zod[\\/]v4[\\/]locales[\\/]index\.js$/ }, (args) => ({
      contents: "export { default as en } from './en.js';",
      resolveDir: path.dirname(args.path),
      loader: 'js',
    }));
  },
};

// got loads http2-wrapper, which makes a TLS socket as it loads to find a class it needs only
// for HTTP/2 through a proxy; the TLS context behind it costs every command that loads got tens
// of milliseconds. Made on first use instead.
const lazyTlsSocketClass = {
  name: 'lazy-tls-socket-class',
  setup(build) {
    build.onLoad({ filter: /[\\/]http2-wrapper[\\/]source[\\/]utils[\\/]js-stream-socket\.js$/ }, () => ({
      contents: `'use strict';
let JSStreamSocket;
module.exports = function (...args) {
  JSStreamSocket ??= new (require('tls').TLSSocket)(new (require('stream').PassThrough)())._handle._parentWrap.constructor;
  return new JSStreamSocket(...args);
};`,
      loader: 'js',
    }));
  },
};

// commander loads child_process for subcommands that are programs of their own, which this CLI
// has none of; node's child_process brings its sockets and datagrams with it, which a command
// that starts no process (a no-op build) would load for nothing. Loaded when first used instead.
const lazyChildProcessInCommander = {
  name: 'lazy-child-process-in-commander',
  setup(build) {
    build.onLoad({ filter: /[\\/]commander[\\/]lib[\\/]command\.js$/ }, async (args) => {
      const text = await readFile(args.path, 'utf8');
      const eager = "const childProcess = require('node:child_process');";
      if (!text.includes(eager)) throw new Error(`${args.path}: commander no longer loads child_process as this plugin expects`);
      return { contents: text.replace(eager, "const childProcess = { spawn: (...args) => require('node:child_process').spawn(...args) };"), loader: 'js' };
    });
  },
};

await build({
  plugins: [zodInEnglishOnly, lazyTlsSocketClass, lazyChildProcessInCommander],
  entryPoints: [path.join(dist, 'cli.js')],
  outfile: path.join(dist, 'bundle', 'cli.cjs'),
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  sourcemap: true,
  minify: process.env.BUNDLE_MINIFY !== '0',
  logLevel: 'warning',
  define: { __HERMIT_SCHEMA_ID__: JSON.stringify(schemaId), 'import.meta.url': 'bundleUrl' },
  banner: { js: "const bundleUrl = require('node:url').pathToFileURL(__filename).href;" },
});
