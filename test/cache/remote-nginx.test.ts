import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, summaryOf } from '../support/cli.js';
import { makeFixture, type Fixture } from '../support/fixture.js';
import { startNginx } from '../support/nginx.js';
import { tempDir } from '../support/tmp.js';

const cacheLineOf = (stdout: string): string => stdout.split('\n').find((line) => line.startsWith('cache:')) ?? `(no cache line in: ${stdout})`;

/** Global options for one work directory with its own local cache. */
function options(fixture: Fixture, root: string, name: string): string[] {
  return ['--toolchain', fixture.dir, '--work', path.join(root, `work-${name}`), '--cache', path.join(root, `cache-${name}`), '--jobs', '2'];
}

/** The manifests a server root holds, by recipe. */
function manifestsByRecipe(root: string): Map<string, { file: string; sha256: string }> {
  const found = new Map<string, { file: string; sha256: string }>();
  for (const key of readdirSync(path.join(root, 'ac'))) {
    const manifest = JSON.parse(readFileSync(path.join(root, 'ac', key), 'utf8')) as { recipe: string; archive: { sha256: string } };
    found.set(manifest.recipe, { file: path.join(root, 'ac', key), sha256: manifest.archive.sha256 });
  }
  return found;
}

const run = (file: string): string => execFileSync(file).toString();

describe('remote artifact cache on nginx (WebDAV PUT)', () => {
  it('stores from one work directory and restores into another without compiling anything', async () => {
    const root = await tempDir();
    const fixture = await makeFixture(root);
    const nginx = await startNginx(path.join(root, 'nginx'));

    const first = await runCli([...options(fixture, root, 'a'), 'build', '--remote-cache', `${nginx.url}/hermit`, '--remote-cache-write']);
    expect(first.stderr).toBe('');
    expect(first.exitCode).toBe(0);
    expect(cacheLineOf(first.stdout)).toBe('cache: 0 restored, 3 stored, 3 misses');
    const stored = manifestsByRecipe(path.join(nginx.root, 'hermit'));
    expect([...stored.keys()].sort()).toEqual(['greet-app', 'greet-lib', 'greet-tool']);
    for (const { sha256 } of stored.values()) expect(existsSync(path.join(nginx.root, 'hermit/cas', sha256))).toBe(true);
    const downloads = fixture.server.requests.length;

    const work = path.join(root, 'work-b');
    const second = await runCli([...options(fixture, root, 'b'), 'build', '--remote-cache', `${nginx.url}/hermit`]);
    expect(second.stderr).toBe('');
    expect(second.exitCode).toBe(0);
    expect(cacheLineOf(second.stdout)).toBe('cache: 3 restored, 0 stored, 0 misses');
    expect(summaryOf(second.stdout)).toMatch(/^summary: ran 0 tasks, skipped 13, failed 0 in /);
    // Nothing was fetched, unpacked or compiled: no sources, no build folders, no step logs.
    expect(fixture.server.requests.length).toBe(downloads);
    expect(existsSync(path.join(work, 'src'))).toBe(false);
    expect(existsSync(path.join(work, 'obj'))).toBe(false);
    for (const recipe of ['greet-lib', 'greet-tool', 'greet-app']) {
      expect(readdirSync(path.join(work, 'logs', recipe))).toEqual(['install.log']);
    }
    expect(run(path.join(work, 'image/greet-tool/opt/hermit/bin/greet'))).toBe('hello, world\n');
    expect(run(path.join(work, 'image/greet-app/opt/hermit/bin/greet-app'))).toBe('hello from libgreet\n');
    const log = readFileSync(nginx.accessLog, 'utf8');
    expect(log.match(/^PUT \/hermit\/cas\//gm)).toHaveLength(3);
    expect(log.match(/^GET \/hermit\/cas\/\S+ 200/gm)).toHaveLength(3);
    // The download filled the second local cache: the next fresh work directory needs no server.
    await nginx.stop();
    const third = await runCli(['--toolchain', fixture.dir, '--work', path.join(root, 'work-c'), '--cache', path.join(root, 'cache-b'), 'build']);
    expect(cacheLineOf(third.stdout)).toBe('cache: 3 restored, 0 stored, 0 misses');
  });

  it('sends the header from HERMIT_CACHE_HEADER, and without it builds locally with a warning', async () => {
    const root = await tempDir();
    const fixture = await makeFixture(root);
    const nginx = await startNginx(path.join(root, 'nginx'), { requireAuthorization: 'Bearer s3cret-token' });
    const header = { HERMIT_CACHE_HEADER: 'Authorization: Bearer s3cret-token' };

    const denied = await runCli([...options(fixture, root, 'a'), 'build', '--remote-cache', nginx.url, '--remote-cache-write']);
    expect(denied.exitCode).toBe(0);
    expect(denied.stderr).toMatch(/^warning: remote cache http:\/\/127\.0\.0\.1:\d+ is unavailable \(GET \S+: HTTP 401\); going on without it$/m);
    expect(summaryOf(denied.stdout)).toMatch(/^summary: ran 13 tasks, skipped 0, failed 0/);

    const written = await runCli([...options(fixture, root, 'b'), 'build', '--remote-cache', nginx.url, '--remote-cache-write'], header);
    expect(written.stderr).toBe('');
    expect(cacheLineOf(written.stdout)).toBe('cache: 0 restored, 3 stored, 3 misses');
    const restored = await runCli([...options(fixture, root, 'c'), 'build', '--remote-cache', nginx.url], header);
    expect(cacheLineOf(restored.stdout)).toBe('cache: 3 restored, 0 stored, 0 misses');

    const log = readFileSync(nginx.accessLog, 'utf8');
    expect(log).toMatch(/^PUT \/cas\/[0-9a-f]{64} 201 "Bearer s3cret-token"$/m);
    expect(log).toMatch(/^GET \/cas\/[0-9a-f]{64} 200 "Bearer s3cret-token"$/m);
    // Every request of the runs that had the header carried it; the secret never reached the output.
    expect(log.split('\n').filter((line) => line.includes(' 401 '))).toSatisfy((lines: string[]) => lines.every((l) => l.endsWith('"-"')));
    for (const result of [denied, written, restored]) expect(result.stdout + result.stderr).not.toContain('s3cret');
  });

  it('builds a recipe whose restore fails, as if it had missed', async () => {
    const root = await tempDir();
    const fixture = await makeFixture(root);
    const nginx = await startNginx(path.join(root, 'nginx'));
    const warm = await runCli([...options(fixture, root, 'a'), 'build', '--remote-cache', nginx.url, '--remote-cache-write']);
    expect(cacheLineOf(warm.stdout)).toBe('cache: 0 restored, 3 stored, 3 misses');
    // The lookup of greet-app finds its manifest; the restore then finds no archive.
    rmSync(path.join(nginx.root, 'cas', manifestsByRecipe(nginx.root).get('greet-app')!.sha256));

    const work = path.join(root, 'work-b');
    const result = await runCli([...options(fixture, root, 'b'), 'build', '--remote-cache', nginx.url]);
    expect(result.exitCode).toBe(0);
    expect(result.stderr).toMatch(/^warning: artifact cache: greet-app install \w+: http:\/\/127\.0\.0\.1:\d+ has the manifest but not the archive \w+; building instead$/m);
    expect(summaryOf(result.stdout)).toMatch(/failed 0 in/);
    expect(cacheLineOf(result.stdout)).toBe('cache: 2 restored, 1 stored, 0 misses');
    expect(result.stdout).not.toContain('restored greet-app:install');
    expect(result.stdout).toContain('done    greet-app:build');
    expect(existsSync(path.join(work, 'logs/greet-app/build.log'))).toBe(true);
    expect(run(path.join(work, 'image/greet-app/opt/hermit/bin/greet-app'))).toBe('hello from libgreet\n');
  });

  it('goes on without a server that dies in the middle of a build', async () => {
    const root = await tempDir();
    const fixture = await makeFixture(root);
    // greet-lib's build kills the cache server when the test asks for it (same recipe, same keys).
    const libRecipe = path.join(fixture.dir, 'recipes/greet-lib.yaml');
    writeFileSync(
      libRecipe,
      readFileSync(libRecipe, 'utf8').replace('build:\n', 'build:\n  - [sh, -c, "if [ -n \\"$KILL_CACHE_SERVER\\" ]; then kill $KILL_CACHE_SERVER; fi"]\n'),
    );
    const nginx = await startNginx(path.join(root, 'nginx'));
    const warm = await runCli([...options(fixture, root, 'a'), 'build', '--remote-cache', nginx.url, '--remote-cache-write']);
    expect(cacheLineOf(warm.stdout)).toBe('cache: 0 restored, 3 stored, 3 misses');
    // greet-lib misses and builds (killing the server); storing it then finds no server.
    rmSync(manifestsByRecipe(nginx.root).get('greet-lib')!.file);

    const work = path.join(root, 'work-b');
    const result = await runCli([...options(fixture, root, 'b'), 'build', '--remote-cache', nginx.url, '--remote-cache-write'], { KILL_CACHE_SERVER: String(nginx.pid) });
    expect(result.exitCode).toBe(0);
    expect(result.stderr.match(/^warning: remote cache http:\/\/127\.0\.0\.1:\d+ is unavailable \(\w+ \S+\/cas\/\S+: .*ECONNREFUSED.*\); going on without it$/gm)).toHaveLength(1);
    expect(summaryOf(result.stdout)).toMatch(/failed 0 in/);
    expect(result.stdout).toContain('done    greet-lib:build');
    expect(run(path.join(work, 'image/greet-app/opt/hermit/bin/greet-app'))).toBe('hello from libgreet\n');
  });

  it('rejects a corrupted archive, reports it and builds instead', async () => {
    const root = await tempDir();
    const fixture = await makeFixture(root);
    const nginx = await startNginx(path.join(root, 'nginx'));
    await runCli([...options(fixture, root, 'a'), 'build', '--remote-cache', nginx.url, '--remote-cache-write']);
    const tool = manifestsByRecipe(nginx.root).get('greet-tool')!;
    const blob = path.join(nginx.root, 'cas', tool.sha256);
    const bytes = readFileSync(blob);
    bytes[bytes.length >> 1]! ^= 0xff;
    writeFileSync(blob, bytes);

    const work = path.join(root, 'work-b');
    const result = await runCli([...options(fixture, root, 'b'), 'build', '--remote-cache', nginx.url]);
    expect(result.exitCode).toBe(0);
    expect(result.stderr).toMatch(
      new RegExp(`^warning: artifact cache: greet-tool install \\w+: the archive from ${nginx.url} has sha256 \\w+, its manifest says ${tool.sha256.slice(0, 12)}; discarded it, building instead$`, 'm'),
    );
    expect(cacheLineOf(result.stdout)).toBe('cache: 2 restored, 1 stored, 0 misses, 1 corrupt (discarded)');
    expect(result.stdout).toContain('done    greet-tool:build');
    expect(run(path.join(work, 'image/greet-tool/opt/hermit/bin/greet'))).toBe('hello, world\n');
    // The corrupt download was not kept; the rebuilt image was stored locally.
    const local = path.join(root, 'cache-b/artifacts');
    expect(readdirSync(path.join(local, 'tmp'))).toEqual([]);
    expect(manifestsByRecipe(local).get('greet-tool')?.sha256).toMatch(/^[0-9a-f]{64}$/);
    // Every archive kept locally is what its name says (a rebuild within the same second may
    // even reproduce the original archive byte for byte).
    for (const name of readdirSync(path.join(local, 'cas'))) {
      expect(execFileSync('sha256sum', [path.join(local, 'cas', name)]).toString().split(' ')[0]).toBe(name);
    }
  });

  it('builds locally with a warning when the server is not there at all', async () => {
    const root = await tempDir();
    const fixture = await makeFixture(root);
    const nginx = await startNginx(path.join(root, 'nginx'));
    await nginx.stop();
    const result = await runCli([...options(fixture, root, 'a'), 'build', '--remote-cache', nginx.url, '--remote-cache-write']);
    expect(result.exitCode).toBe(0);
    expect(result.stderr.match(/^warning: remote cache .* is unavailable .*ECONNREFUSED/gm)).toHaveLength(1);
    expect(summaryOf(result.stdout)).toMatch(/^summary: ran 13 tasks, skipped 0, failed 0/);
    expect(cacheLineOf(result.stdout)).toBe('cache: 0 restored, 3 stored, 3 misses');
  });
});
