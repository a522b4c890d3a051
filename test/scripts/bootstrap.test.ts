import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { sha256 } from '../support/faults.js';
import { runOnFakeHost } from '../support/fake-host.js';
import { tempDir } from '../support/tmp.js';

/**
 * What the script and the CLI under it run on the fake host, besides the fakes: cc (with as and
 * ld) builds the step spawner, which every build with a task that takes a job slot starts.
 */
const TOOLS = ['sed', 'sort', 'paste', 'mkdir', 'cat', 'rm', 'ls', 'git', 'tar', 'gzip', 'sh', 'uname', 'nproc', 'df', 'cc', 'as', 'ld', 'find', 'xz', 'patch'];

/**
 * A toolchain of two git pins whose repositories are on a loopback port nobody listens on, as
 * GitHub is from a site that cannot reach it; their archives, as a premirror would hold them.
 */
function unreachableToolchain(root: string): { toolchain: string; mirror: string } {
  const toolchain = path.join(root, 'toolchain');
  const mirror = path.join(root, 'mirror');
  mkdirSync(path.join(toolchain, 'recipes'), { recursive: true });
  mkdirSync(mirror);
  writeFileSync(path.join(toolchain, 'toolchain.yaml'), 'target: x86_64-hermit\nprefix: /opt/hermit\n');
  for (const [name, commit] of [['kernel', 'a'.repeat(40)], ['stack', 'b'.repeat(40)]] as const) {
    const folder = `${name}-${commit}`;
    mkdirSync(path.join(root, 'trees', folder), { recursive: true });
    writeFileSync(path.join(root, 'trees', folder, `${name}.c`), `int ${name};\n`);
    const archive = path.join(mirror, `${folder}.tar.gz`);
    execFileSync('tar', ['--sort=name', '--mtime=2023-01-01 00:00Z', '--owner=0', '--group=0', '--use-compress-program=gzip -n', '-cf', archive, folder], { cwd: path.join(root, 'trees') });
    writeFileSync(
      path.join(toolchain, 'recipes', `${name}.yaml`),
      `name: ${name}\nversion: "1"\nsummary: ${name}\nlicense: MIT\nsource:\n  git:\n    url: http://127.0.0.1:1/hermit/${name}.git\n    commit: "${commit}"\n    archive-sha256: ${sha256(readFileSync(archive))}\n`,
    );
  }
  return { toolchain, mirror };
}

describe('scripts/bootstrap.sh', () => {
  it('without GitHub: one line naming the sources it could not fetch and --mirror; with the mirror it builds', async () => {
    const root = await tempDir();
    const { toolchain, mirror } = unreachableToolchain(root);
    const work = path.join(root, 'work');
    const args = ['--toolchain', toolchain, '--work', work, '--cache', path.join(root, 'cache')];
    const host = { missing: [], uid: 0, sudo: false, node: true, tools: TOOLS, env: { HOME: root } };

    const offline = await runOnFakeHost('bootstrap.sh', args, host);
    expect(offline.exitCode).toBe(1);
    expect(offline.calls).toEqual(['npm ci --no-audit --no-fund']);
    expect(offline.stderr.trim().split('\n')).toEqual([
      `bootstrap: could not fetch the sources of kernel stack (see ${work}/fetch.log); without GitHub, give local copies with --mirror DIR: a folder of <repository>-<commit>.tar.gz archives, checked against the recipes' sha256 (README, Sources)`,
    ]);
    expect(readFileSync(path.join(work, 'fetch.log'), 'utf8')).toContain('127.0.0.1:1');

    const mirrored = await runOnFakeHost('bootstrap.sh', [...args, '--mirror', mirror], host);
    expect(mirrored.stderr).toBe('');
    expect(mirrored.exitCode).toBe(0);
    expect(mirrored.stdout).toContain('summary: ran');
    expect(readFileSync(path.join(work, 'src/kernel/kernel.c'), 'utf8')).toBe('int kernel;\n');
  }, 120_000);
});
