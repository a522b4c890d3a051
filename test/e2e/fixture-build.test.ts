import { execFileSync } from 'node:child_process';
import { appendFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, summaryOf } from '../support/cli.js';
import { GREET_PATCH, makeFixture } from '../support/fixture.js';
import { tempDir } from '../support/tmp.js';

describe('building the fixture toolchain end to end', () => {
  it('builds, skips everything on a rerun, and rebuilds only what a patch change touches', async () => {
    const root = await tempDir();
    const fixture = await makeFixture(root);
    const work = path.join(root, 'work');
    const args = ['--toolchain', fixture.dir, '--work', work, '--cache', path.join(root, 'cache'), '--jobs', '2'];

    const first = await runCli([...args, 'build']);
    expect(first.stderr).toBe('');
    expect(first.exitCode).toBe(0);
    // 3 fetches, 3 unpacks, 1 patch, 3 builds, 3 installs.
    expect(summaryOf(first.stdout)).toMatch(/^summary: ran 13 tasks, skipped 0, failed 0 in /);
    expect(execFileSync(path.join(work, 'image/greet-tool/opt/hermit/bin/greet')).toString()).toBe('hello, world\n');
    expect(execFileSync(path.join(work, 'image/greet-app/opt/hermit/bin/greet-app')).toString()).toBe('hello from libgreet\n');
    // The shared tarball was downloaded once.
    expect(fixture.server.requests.filter((r) => r.includes('greet-1.0'))).toHaveLength(1);

    const second = await runCli([...args, 'build']);
    expect(second.exitCode).toBe(0);
    expect(summaryOf(second.stdout)).toMatch(/^summary: ran 0 tasks, skipped 13, failed 0 in /);

    writeFileSync(fixture.patchFile, GREET_PATCH.replace('hello, world', 'hello, patched world'));
    const third = await runCli([...args, 'build']);
    expect(third.exitCode).toBe(0);
    expect(summaryOf(third.stdout)).toMatch(/^summary: ran 3 tasks, skipped 10, failed 0 in /);
    const ran = third.stdout.split('\n').filter((l) => l.startsWith('done')).map((l) => l.split(/\s+/)[1]);
    expect(ran.sort()).toEqual(['greet-tool:build', 'greet-tool:install', 'greet-tool:patch']);
    expect(execFileSync(path.join(work, 'image/greet-tool/opt/hermit/bin/greet')).toString()).toBe('hello, patched world\n');

    const list = await runCli([...args, 'list']);
    expect(list.stdout).toMatch(/greet-app\s+1\.0\s+-\s+up to date/);
  });

  it('reports a failing step with its exit code, the log tail and the log path', async () => {
    const root = await tempDir();
    const fixture = await makeFixture(root);
    appendFileSync(path.join(fixture.dir, 'recipes/greet-app.yaml'), 'configure:\n  - [sh, -c, "echo configuring; echo broken >&2; exit 3"]\n');
    const work = path.join(root, 'work');
    const result = await runCli(['--toolchain', fixture.dir, '--work', work, '--cache', path.join(root, 'cache'), 'build']);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain("error: greet-app: configure: step 1 `sh -c 'echo configuring; echo broken >&2; exit 3'` exited with code 3");
    expect(result.stderr).toContain('  | broken');
    expect(result.stderr).toContain(`log: ${path.join(work, 'logs/greet-app/configure.log')}`);
    expect(summaryOf(result.stdout)).toMatch(/failed 1 in/);
  });
});
