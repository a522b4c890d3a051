import { readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { CLI, REPO, runCli } from '../support/cli.js';
import { tempDir } from '../support/tmp.js';

describe('bin/hermit-toolchain.cjs', () => {
  it('starts the bundle and keeps one V8 code cache for it, written anew when V8 cannot use it', async () => {
    const bundle = path.join(REPO, 'dist/bundle/cli.cjs');
    expect(statSync(bundle).size, 'npm run build writes the bundle').toBeGreaterThan(100_000);
    const home = await tempDir();
    const env = { XDG_CACHE_HOME: home };
    const cacheDir = path.join(home, 'hermit-toolchain', 'v8');

    const list = ['--work', path.join(home, 'work'), 'list'];
    const first = await runCli(list, env);
    expect(first.exitCode, first.stderr).toBe(0);
    const [file, ...others] = readdirSync(cacheDir);
    expect(others).toEqual([]);
    expect(file).toContain(process.version);
    const written = readFileSync(path.join(cacheDir, file!));
    expect(written.length).toBeGreaterThan(10_000);

    // Garbage where the cache was: the command still works, and the cache is whole again.
    writeFileSync(path.join(cacheDir, file!), 'not a code cache');
    const second = await runCli(list, env);
    expect(second.exitCode, second.stderr).toBe(0);
    expect(second.stdout).toBe(first.stdout);
    expect(readdirSync(cacheDir)).toEqual([file]);
    expect(readFileSync(path.join(cacheDir, file!)).length).toBeGreaterThan(10_000);
  }, 30_000);

  // What the bound is for: a young generation at node's full size lets tens of MiB of dead stream
  // pieces wait. The hook makes garbage, some of it surviving a while, as the process ends.
  it('keeps the young generation from growing once the CLI is loaded, run as a program or by node', async () => {
    const dir = await tempDir();
    const hook = path.join(dir, 'young.cjs');
    writeFileSync(
      hook,
      `process.on('exit', () => {
  const kept = [];
  for (let i = 0; i < 300000; i++) {
    const item = { i, text: 'x' + i };
    if (i % 3 === 0) kept.push(item);
    if (kept.length > 20000) kept.splice(0, 10000);
  }
  const young = require('node:v8').getHeapSpaceStatistics().find((space) => space.space_name === 'new_space');
  require('node:fs').writeFileSync(process.env.YOUNG_FILE, String(young.space_size));
});
`,
    );
    const youngFile = path.join(dir, 'young');
    const env = { NODE_OPTIONS: `--require ${hook}`, YOUNG_FILE: youngFile, XDG_CACHE_HOME: dir };
    const youngAfter = async (argv: readonly string[]): Promise<number> => {
      const result = await execa(argv[0]!, [...argv.slice(1), 'list', '--help'], { reject: false, env });
      expect(result.exitCode, result.stderr).toBe(0);
      return Number(readFileSync(youngFile, 'utf8'));
    };
    const unbounded = await youngAfter([process.execPath, '-e', '0']);
    expect(unbounded, 'node alone grows it').toBeGreaterThanOrEqual(8 * 2 ** 20);
    // Twice each: the first run writes the code cache, the second reads it.
    for (const argv of [[CLI], [CLI], [process.execPath, CLI], [process.execPath, CLI]]) expect(await youngAfter(argv)).toBeLessThanOrEqual(4 * 2 ** 20);
  }, 60_000);

  it('works without a writable cache folder', async () => {
    const home = await tempDir();
    writeFileSync(path.join(home, 'hermit-toolchain'), 'a file, not a folder');
    const result = await runCli(['list', '--help'], { XDG_CACHE_HOME: home });
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toContain('Usage: hermit-toolchain list');
  }, 30_000);
});
