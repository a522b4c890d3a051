import { mkdirSync, readlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import { tempDir } from '../support/tmp.js';

/** A packaged recipe with no source whose install step is `step` (run by sh). */
function recipe(name: string, step: string): string {
  return `name: ${name}
version: "1.0"
summary: ${name} for the cache tests
license: MIT
install:
  - [sh, -c, 'mkdir -p {image}{prefix}/bin && echo tool > {image}{prefix}/bin/tool && ${step}']
package:
  name: ${name}
`;
}

function toolchain(root: string): string {
  const dir = path.join(root, 'toolchain');
  mkdirSync(path.join(dir, 'recipes'), { recursive: true });
  writeFileSync(path.join(dir, 'toolchain.yaml'), 'target: x86_64-hermit\nprefix: /opt/hermit\n');
  const recipes = {
    alias: 'ln -s {prefix}/bin/tool {image}{prefix}/bin/tool-alias',
    fifo: 'mkfifo {image}{prefix}/bin/pipe',
    outside: 'mkdir -p {image}/etc && echo x > {image}/etc/tool.conf',
  };
  for (const [name, step] of Object.entries(recipes)) writeFileSync(path.join(dir, 'recipes', `${name}.yaml`), recipe(name, step));
  return dir;
}

describe('the artifact cache in a build', () => {
  it('restores an image with an absolute link in another work directory, and never stores one its package task refuses', async () => {
    const root = await tempDir();
    const dir = toolchain(root);
    const build = (work: string) => runCli(['--toolchain', dir, '--work', path.join(root, work), '--cache', path.join(root, 'cache'), 'build', '--keep-going']);

    const first = await build('w1');
    expect(first.stdout).toContain('cache: 0 restored, 1 stored, 3 misses');
    expect(first.stderr).toContain('error: fifo: package:');
    expect(first.stderr).toContain('error: outside: package: the image of outside has 2 path(s) outside the prefix /opt/hermit');
    expect(first.stderr).toMatch(/warning: artifact cache: cannot store fifo: .*pipe: not a file, directory or symlink/);
    expect(first.stderr).toContain('warning: artifact cache: cannot store outside: the image of outside has 2 path(s) outside the prefix /opt/hermit');

    const second = await build('w2');
    expect(second.stdout).toContain('cache: 1 restored, 0 stored, 2 misses');
    expect(second.stdout).not.toContain('discarded');
    expect(readlinkSync(path.join(root, 'w2/image/alias/opt/hermit/bin/tool-alias'))).toBe('/opt/hermit/bin/tool');
    expect(second.stderr).toContain('error: fifo: package:');
    expect(second.stderr).toContain('error: outside: package:');
    expect(second.stderr).not.toContain('alias');
  });

  it('builds everything with --no-restore and still stores what it built', async () => {
    const root = await tempDir();
    const dir = toolchain(root);
    const build = (work: string, ...flags: string[]) =>
      runCli(['--toolchain', dir, '--work', path.join(root, work), '--cache', path.join(root, 'cache'), 'build', 'alias', ...flags]);
    expect((await build('w1')).stdout).toContain('cache: 0 restored, 1 stored, 1 misses');
    const clean = await build('w2', '--no-restore');
    expect(clean.stdout).toContain('cache: 0 restored, 1 stored, 0 misses');
    expect(clean.stdout).toMatch(/ran 2 tasks, skipped 0/);
    expect((await build('w3')).stdout).toContain('cache: 1 restored, 0 stored, 0 misses');
  });

  it('restores with --no-package too, and a fetch neither restores nor stores', async () => {
    const root = await tempDir();
    const dir = toolchain(root);
    const run = (work: string, ...command: string[]) =>
      runCli(['--toolchain', dir, '--work', path.join(root, work), '--cache', path.join(root, 'cache'), ...command]);
    expect((await run('w1', 'build', 'alias', '--no-package')).stdout).toContain('cache: 0 restored, 1 stored, 1 misses');
    const again = await run('w2', 'build', 'alias', '--no-package');
    expect(again.stdout).toContain('cache: 1 restored, 0 stored, 0 misses');
    expect(again.stdout).toMatch(/ran 0 tasks/);
    expect((await run('w3', 'fetch', 'alias')).stdout).not.toContain('cache:');
  });
});
