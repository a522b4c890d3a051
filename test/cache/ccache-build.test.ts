import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { HOST_COMPILERS } from '../../src/cache/ccache.js';
import { which } from '../../src/process/which.js';
import { runCli } from '../support/cli.js';
import { makeFixture } from '../support/fixture.js';
import { tempDir } from '../support/tmp.js';

/** ccache's counters for a cache folder (`ccache --print-stats`: one "name<TAB>value" per line). */
function ccacheCounters(dir: string): Record<string, number> {
  const text = execFileSync('ccache', ['--print-stats'], { env: { ...process.env, CCACHE_DIR: dir } }).toString();
  return Object.fromEntries(text.split('\n').filter(Boolean).map((line) => line.split('\t')).map(([name, value]) => [name, Number(value)]));
}

/**
 * A folder first on the builds' PATH that holds every host compiler name the wrapper knows, each
 * a link to the real gcc: the wrapper folder then holds the same links whatever compilers this
 * machine has besides (clang or not). That a compiler missing from the PATH gets no link is
 * test/cache/ccache.test.ts's part.
 */
async function compilersBin(root: string): Promise<string> {
  const bin = path.join(root, 'compilers');
  mkdirSync(bin);
  const gcc = await which('gcc', process.env.PATH);
  if (!gcc) throw new Error('gcc is not installed (scripts/install-deps.sh installs it)');
  for (const name of HOST_COMPILERS) symlinkSync(gcc, path.join(bin, name));
  return bin;
}

describe('--ccache', () => {
  it('caches host compilers and target compilers that a need puts on the stage', async () => {
    const root = await tempDir();
    const fixture = await makeFixture(root);
    // cross-cc installs x86_64-hermit-gcc (a stand-in calling the host compiler); target-obj
    // needs it and compiles with it from its stage.
    writeFileSync(
      path.join(fixture.dir, 'recipes/cross-cc.yaml'),
      `name: cross-cc
version: "1.0"
summary: a stand-in cross compiler
license: MIT
install:
  - [sh, -c, 'mkdir -p "$0" && printf "#!/bin/sh\\nexec cc \\"\\$@\\"\\n" > "$0/x86_64-hermit-gcc" && chmod 755 "$0/x86_64-hermit-gcc"', "{image}{prefix}/bin"]
`,
    );
    writeFileSync(
      path.join(fixture.dir, 'recipes/target-obj.yaml'),
      `name: target-obj
version: "1.0"
summary: an object compiled for the target
license: MIT
needs: [cross-cc]
build:
  - [sh, -c, 'printf "int answer(void) { return 42; }\\n" > answer.c && x86_64-hermit-gcc -c answer.c -o answer.o']
install:
  - [install, -D, -m, "644", answer.o, "{image}{prefix}/lib/answer.o"]
`,
    );
    const cache = path.join(root, 'cache');
    const env = { PATH: [await compilersBin(root), process.env.PATH ?? ''].join(path.delimiter) };
    const build = (work: string, ...more: string[]) =>
      runCli(['--toolchain', fixture.dir, '--work', path.join(root, work), '--cache', cache, 'build', '--ccache', ...more], env);

    const first = await build('work-a');
    expect(first.stderr).toBe('');
    expect(first.exitCode).toBe(0);
    const ccacheDir = path.join(cache, 'ccache');
    const cold = ccacheCounters(ccacheDir);
    // greet.c and answer.c are compiled with -c (cacheable); the links are not.
    expect(cold.direct_cache_miss).toBe(2);
    expect(cold.direct_cache_hit ?? 0).toBe(0);
    // Every compiler on the PATH is wrapped, and the target compiler only where a stage provides it.
    const wrappers = path.join(root, 'work-a/ccache-bin');
    const host = ['c++', 'cc', 'clang', 'clang++', 'g++', 'gcc'];
    expect(readdirSync(path.join(wrappers, 'target-obj')).sort()).toEqual([...host, 'x86_64-hermit-gcc']);
    expect(readdirSync(path.join(wrappers, 'greet-lib')).sort()).toEqual(host);

    // Another work directory: paths are hashed relative to the work directory, so the same
    // compilations hit. ccache knows a compiler by its size and mtime: the cross compiler restored
    // from the artifact cache keeps its mtime, so it is the same compiler; the two recipes that
    // compile are forced to build again.
    const second = await build('work-b', '--force', 'greet-lib', '--force', 'target-obj');
    expect(second.exitCode).toBe(0);
    expect(second.stdout).toContain('restored cross-cc:install from the cache');
    expect(second.stdout).toContain('done    target-obj:build');
    const warm = ccacheCounters(ccacheDir);
    expect(warm.direct_cache_hit).toBe(2);
    expect(existsSync(path.join(root, 'work-b/image/target-obj/opt/hermit/lib/answer.o'))).toBe(true);

    const stats = await runCli(['--toolchain', fixture.dir, '--cache', cache, 'cache', 'stats']);
    expect(stats.stdout).toMatch(/^ {4}Hits: +2 \/ +4/m);
  });

  it('passes CCACHE_REMOTE_STORAGE on to ccache', async () => {
    const root = await tempDir();
    const fixture = await makeFixture(root);
    const shared = path.join(root, 'shared-ccache');
    const env = { CCACHE_REMOTE_STORAGE: `file:${shared}` };
    const build = (name: string) =>
      runCli(['--toolchain', fixture.dir, '--work', path.join(root, `work-${name}`), '--cache', path.join(root, `cache-${name}`), 'build', '--ccache', '--no-artifact-cache'], env);
    expect((await build('a')).exitCode).toBe(0);
    expect(existsSync(shared)).toBe(true);
    // A second machine (its own local ccache) gets its hit from the remote storage.
    expect((await build('b')).exitCode).toBe(0);
    expect(ccacheCounters(path.join(root, 'cache-b/ccache')).remote_storage_hit).toBe(1);
  });
});
