import { existsSync, readFileSync, readdirSync, statSync, utimesSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, summaryOf } from '../support/cli.js';
import { makeFixture } from '../support/fixture.js';
import { tempDir } from '../support/tmp.js';

/** Manifest file and archive of each recipe in a local cache. */
function entries(artifacts: string): Map<string, { manifest: string; blob: string }> {
  const found = new Map<string, { manifest: string; blob: string }>();
  for (const key of readdirSync(path.join(artifacts, 'ac'))) {
    const manifest = path.join(artifacts, 'ac', key);
    const parsed = JSON.parse(readFileSync(manifest, 'utf8')) as { recipe: string; archive: { sha256: string } };
    found.set(parsed.recipe, { manifest, blob: path.join(artifacts, 'cas', parsed.archive.sha256) });
  }
  return found;
}

describe('local artifact cache', () => {
  it('restores what is cached, marks it used, and prunes the least recently used first', async () => {
    const root = await tempDir();
    const fixture = await makeFixture(root);
    const cache = path.join(root, 'cache');
    const artifacts = path.join(cache, 'artifacts');
    const args = ['--toolchain', fixture.dir, '--work', path.join(root, 'work'), '--cache', cache];
    expect((await runCli([...args, 'build'])).stdout).toContain('cache: 0 restored, 3 stored, 3 misses');

    // Ages: greet-app oldest, then greet-lib, then greet-tool; using greet-tool again makes it the newest.
    const stored = entries(artifacts);
    const now = Date.now() / 1000;
    utimesSync(stored.get('greet-app')!.manifest, now - 3000, now - 3000);
    utimesSync(stored.get('greet-lib')!.manifest, now - 2000, now - 2000);
    utimesSync(stored.get('greet-tool')!.manifest, now - 4000, now - 4000);
    expect((await runCli([...args, 'clean', 'greet-tool'])).exitCode).toBe(0);
    const rebuilt = await runCli([...args, 'build']);
    expect(rebuilt.stdout).toContain('cache: 1 restored, 0 stored, 0 misses');
    expect(rebuilt.stdout).toContain('restored greet-tool:install from the cache');
    expect(summaryOf(rebuilt.stdout)).toMatch(/^summary: ran 0 tasks, skipped 13, failed 0/);
    expect(statSync(stored.get('greet-tool')!.manifest).mtimeMs / 1000).toBeGreaterThan(now - 60);
    const list = await runCli([...args, 'list']);
    expect(list.stdout).toMatch(/greet-tool\s+1\.0\s+-\s+up to date/);

    const sizeOf = (recipe: string): number => statSync(stored.get(recipe)!.manifest).size + statSync(stored.get(recipe)!.blob).size;
    const total = ['greet-app', 'greet-lib', 'greet-tool'].reduce((sum, r) => sum + sizeOf(r), 0);
    const first = await runCli([...args, 'cache', 'prune', '--max-size', String(total - 1)]);
    expect(first.exitCode).toBe(0);
    expect(first.stdout).toMatch(/^pruned 1 entries and 1 archives \(greet-app\)/);
    expect(existsSync(stored.get('greet-app')!.manifest)).toBe(false);
    expect(existsSync(stored.get('greet-app')!.blob)).toBe(false);
    expect(existsSync(stored.get('greet-lib')!.blob)).toBe(true);

    const second = await runCli([...args, 'cache', 'prune', '--max-size', `${sizeOf('greet-tool')}B`]);
    expect(second.stdout).toMatch(/^pruned 1 entries and 1 archives \(greet-lib\)/);
    expect([...entries(artifacts).keys()]).toEqual(['greet-tool']);

    const stats = await runCli([...args, 'cache', 'stats']);
    expect(stats.exitCode).toBe(0);
    expect(stats.stdout).toMatch(/^ {2}entries: {2}1 \(1 archives, /m);
    expect(stats.stdout).toMatch(/^ {2}restored: 1$/m);
    expect(stats.stdout).toMatch(/^ {2}stored: {3}3$/m);
    expect(stats.stdout).toContain(`ccache: ${path.join(cache, 'ccache')}`);

    expect((await runCli([...args, 'cache', 'prune', '--max-size', 'lots'])).stderr).toContain('"lots" is not a size');
  });

  it('builds without the cache when asked to', async () => {
    const root = await tempDir();
    const fixture = await makeFixture(root);
    const cache = path.join(root, 'cache');
    const result = await runCli(['--toolchain', fixture.dir, '--work', path.join(root, 'work'), '--cache', cache, 'build', '--no-artifact-cache']);
    expect(result.exitCode).toBe(0);
    expect(result.stdout).not.toContain('cache:');
    expect(existsSync(path.join(cache, 'artifacts'))).toBe(false);
  });
});
