import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli as cli } from '../support/cli.js';
import { writeDebFixture } from '../support/deb-fixture.js';
import { tempDir } from '../support/tmp.js';

describe('package command', () => {
  it('packs a ready tree with --tree, taking SOURCE_DATE_EPOCH from the environment', async () => {
    const dir = await tempDir();
    const tree = path.join(dir, 'tree');
    mkdirSync(path.join(tree, 'DEBIAN'), { recursive: true });
    mkdirSync(path.join(tree, 'opt/hermit/bin'), { recursive: true });
    writeFileSync(path.join(tree, 'opt/hermit/bin/tool'), '#!/bin/sh\n', { mode: 0o755 });
    writeFileSync(path.join(tree, 'DEBIAN/control'), 'Package: tool-hermit\nVersion: 1.0-1\nArchitecture: all\nMaintainer: A Tester <tester@example.org>\nDescription: a tool\n');
    const result = await cli(['package', '--tree', tree, '--out', path.join(dir, 'out'), '--compress', 'zst'], { SOURCE_DATE_EPOCH: '1700000000' });
    expect(result.exitCode, result.stderr).toBe(0);
    const file = path.join(dir, 'out', 'tool-hermit_1.0-1_all.deb');
    expect(result.stdout).toBe(`wrote ${file}`);
    expect(execFileSync('ar', ['t', file]).toString()).toBe('debian-binary\ncontrol.tar.zst\ndata.tar.zst\n');
    expect(execFileSync('dpkg-deb', ['--contents', file]).toString()).toMatch(/^-rwxr-xr-x root\/root +10 2023-11-14 22:13 \.\/opt\/hermit\/bin\/tool$/m);
    const bad = await cli(['package', '--tree', path.join(dir, 'nothing'), '--out', path.join(dir, 'out')]);
    expect(bad.exitCode).toBe(1);
    expect(bad.stderr).toMatch(/^error: .*nothing\/DEBIAN\/control: cannot read the control file \(ENOENT\)$/m);
    // Nothing would be taken from the profile here, but a --config that is not there is a mistake.
    const missing = path.join(dir, 'nonexistent.yaml');
    const unconfigured = await cli(['--config', missing, 'package', '--tree', tree, '--out', path.join(dir, 'out'), '--compress', 'zst'], { SOURCE_DATE_EPOCH: '1700000000' });
    expect(unconfigured.exitCode).toBe(1);
    expect(unconfigured.stderr).toBe(`error: ${missing}: no such profile file`);
  });

  it('packages the last build, writes the index, and refuses recipes that were not built', async () => {
    const dir = await tempDir();
    const toolchain = await writeDebFixture(path.join(dir, 'toolchain'));
    const work = path.join(dir, 'work');
    const global = ['--toolchain', toolchain, '--work', work, '--jobs', '2'];

    const early = await cli([...global, 'package']);
    expect(early.exitCode).toBe(1);
    expect(early.stderr).toContain('error: not built, or changed since the last build: hello, libfake (run `hermit-toolchain build hello libfake` first)');

    const built = await cli([...global, 'build']);
    expect(built.exitCode, built.stdout + built.stderr).toBe(0);
    expect(built.stdout).toContain(`index: 3 packages in ${path.join(work, 'out')}`);
    expect(readdirSync(path.join(work, 'out')).sort()).toEqual([
      'Packages',
      'Packages.gz',
      'Release',
      'fixture-hermit_1-1_all.deb',
      'hello-hermit_2.40-1_amd64.deb',
      'libfake-hermit_1.0+git20230101-1_all.deb',
    ]);

    const again = await cli([...global, 'package']);
    expect(again.exitCode, again.stderr).toBe(0);
    expect(again.stdout).toMatch(/^summary: ran 0 tasks, skipped 3/m);

    const elsewhere = path.join(dir, 'elsewhere');
    const moved = await cli([...global, 'package', 'libfake', '--out', elsewhere]);
    expect(moved.exitCode, moved.stderr).toBe(0);
    expect(moved.stdout).toMatch(/^summary: ran 1 task/m);
    expect(readdirSync(elsewhere).sort()).toEqual(['Packages', 'Packages.gz', 'Release', 'libfake-hermit_1.0+git20230101-1_all.deb']);
    expect(readFileSync(path.join(elsewhere, 'libfake-hermit_1.0+git20230101-1_all.deb')).equals(readFileSync(path.join(work, 'out', 'libfake-hermit_1.0+git20230101-1_all.deb')))).toBe(true);

    const wrong = await cli([...global, 'package', 'libfake', '--compress', 'bzip2']);
    expect(wrong.exitCode).not.toBe(0);
    expect(wrong.stderr).toMatch(/--compress.*bzip2.*(xz, gz, zst, none|choices)/s);
  }, 120_000);
});
