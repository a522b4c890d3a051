import { readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { CLI, REPO, runCli } from '../support/cli.js';
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

  it('starts node with the flags of its first line when run as a program', async () => {
    const dir = await tempDir();
    const hook = path.join(dir, 'flags.cjs');
    writeFileSync(hook, "require('fs').writeFileSync(process.env.FLAGS_FILE, JSON.stringify(process.execArgv));\n");
    const flagsFile = path.join(dir, 'flags.json');
    const result = await execa(CLI, ['list', '--help'], { reject: false, env: { NODE_OPTIONS: `--require ${hook}`, FLAGS_FILE: flagsFile } });
    expect(result.exitCode, result.stderr).toBe(0);
    expect(JSON.parse(readFileSync(flagsFile, 'utf8'))).toContain('--max-semi-space-size=1');
  }, 30_000);

  it('works without a writable cache folder', async () => {
    const home = await tempDir();
    writeFileSync(path.join(home, 'hermit-toolchain'), 'a file, not a folder');
    const result = await runCli(['list', '--help'], { XDG_CACHE_HOME: home });
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toContain('Usage: hermit-toolchain list');
  }, 30_000);
});
