import { readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO, runCli } from '../support/cli.js';
import { tempDir } from '../support/tmp.js';

describe('bin/hermit-toolchain.js', () => {
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

  it('works without a writable cache folder', async () => {
    const home = await tempDir();
    writeFileSync(path.join(home, 'hermit-toolchain'), 'a file, not a folder');
    const result = await runCli(['list', '--help'], { XDG_CACHE_HOME: home });
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toContain('Usage: hermit-toolchain list');
  }, 30_000);
});
