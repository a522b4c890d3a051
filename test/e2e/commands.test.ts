import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import { makeFixture } from '../support/fixture.js';
import { tempDir } from '../support/tmp.js';

describe('commands', () => {
  it('--help explains the tool and every command', async () => {
    const help = await runCli(['--help']);
    expect(help.exitCode).toBe(0);
    for (const command of ['build', 'fetch', 'graph', 'list', 'clean']) expect(help.stdout).toMatch(new RegExp(`^  ${command} `, 'm'));
    expect(help.stdout).toContain('--toolchain <dir>');
    const build = await runCli(['build', '--help']);
    expect(build.stdout).toContain('--keep-going');
    expect(build.stdout).toContain('summary: ran N tasks');
  });

  it('an unknown command or option is a usage error', async () => {
    const result = await runCli(['bulid']);
    expect(result.exitCode).not.toBe(0);
    expect(result.stderr).toMatch(/unknown command 'bulid'/);
  });

  it('graph prints text, dot and json', async () => {
    const root = await tempDir();
    const fixture = await makeFixture(root);
    const args = ['--toolchain', fixture.dir, '--work', path.join(root, 'work')];
    const text = await runCli([...args, 'graph', 'greet-app']);
    expect(text.stdout.split('\n')[0]).toBe('greet-lib 1.0');
    expect(text.stdout).toMatch(/greet-app 1\.0 \(needs greet-lib\)\n  fetch +[0-9a-f]{12}\n/);
    expect(text.stdout).toMatch(/  build +[0-9a-f]{12}  after greet-app:unpack, greet-lib:install/);
    const dot = await runCli([...args, 'graph', '--format', 'dot']);
    expect(dot.stdout).toMatch(/^digraph hermit \{/);
    expect(dot.stdout).toContain('"greet-lib:install" -> "greet-app:build";');
    const json = JSON.parse((await runCli([...args, 'graph', '--format', 'json'])).stdout) as { tasks: Array<{ id: string; key: string }> };
    expect(json.tasks).toHaveLength(13);
    expect(json.tasks.every((t) => /^[0-9a-f]{64}$/.test(t.key))).toBe(true);
    expect((await runCli([...args, 'graph', '--format', 'svg'])).stderr).toMatch(/Allowed choices are text, dot, json/);
  });

  it('list tells what is up to date and clean forgets a recipe', async () => {
    const root = await tempDir();
    const fixture = await makeFixture(root);
    const work = path.join(root, 'work');
    const args = ['--toolchain', fixture.dir, '--work', work, '--cache', path.join(root, 'cache')];
    expect((await runCli([...args, 'list'])).stdout).toMatch(/greet-tool\s+1\.0\s+-\s+5 of 5 tasks to run/);
    await runCli([...args, 'build']);
    expect((await runCli([...args, 'list'])).stdout).toMatch(/greet-tool\s+1\.0\s+-\s+up to date/);
    expect((await runCli([...args, 'clean', 'greet-tool'])).stdout).toBe('cleaned greet-tool');
    expect(existsSync(path.join(work, 'src/greet-tool'))).toBe(false);
    expect(existsSync(path.join(work, 'src/greet-lib'))).toBe(true);
    // The download stays in the shared cache: only the work is redone.
    expect((await runCli([...args, 'list'])).stdout).toMatch(/greet-tool\s+1\.0\s+-\s+4 of 5 tasks to run/);
    expect((await runCli([...args, 'clean', 'nope'])).stderr).toMatch(/clean nope: no such recipe/);
    await runCli([...args, 'clean']);
    expect(existsSync(path.join(work, 'src'))).toBe(false);
  });

  it('says in one line which path is a file where a folder must be (--work, --out)', async () => {
    const root = await tempDir();
    const file = path.join(root, 'a-file');
    writeFileSync(file, '');
    const toolchain = path.join(root, 'toolchain');
    mkdirSync(path.join(toolchain, 'recipes'), { recursive: true });
    writeFileSync(path.join(toolchain, 'recipes/one.yaml'), 'name: one\nversion: "1"\nsummary: one\nlicense: MIT\nbuild:\n  - ["true"]\n');
    const args = ['--toolchain', toolchain, '--cache', path.join(root, 'cache')];
    const work = await runCli([...args, '--work', file, 'build']);
    expect(work.exitCode).toBe(1);
    expect(work.stderr).toBe(`error: ${file}: exists and is not a folder (EEXIST)`);
    const below = await runCli([...args, '--work', path.join(file, 'work'), 'build']);
    expect(below.exitCode).toBe(1);
    expect(below.stderr).toBe(`error: ${path.join(file, 'work')}: a part of this path is a file, not a folder (ENOTDIR)`);
    const tree = path.join(root, 'tree');
    mkdirSync(path.join(tree, 'DEBIAN'), { recursive: true });
    writeFileSync(path.join(tree, 'DEBIAN/control'), 'Package: one\nVersion: 1\nArchitecture: all\nMaintainer: A Tester <tester@example.org>\nDescription: one\n');
    const out = await runCli([...args, '--work', path.join(root, 'work'), 'package', '--tree', tree, '--out', file]);
    expect(out.exitCode).toBe(1);
    expect(out.stderr).toBe(`error: ${file}: exists and is not a folder (EEXIST)`);
  });
});
