import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import { tempDir } from '../support/tmp.js';

describe('binfmt command', () => {
  it('registers the profile\'s OS/ABI and prefix, reports status and unregisters, in a stand-in folder', async () => {
    const dir = await tempDir();
    const binfmt = path.join(dir, 'binfmt_misc');
    mkdirSync(binfmt);
    writeFileSync(path.join(binfmt, 'register'), '');
    writeFileSync(path.join(binfmt, 'status'), 'enabled\n');
    const config = path.join(dir, 'toolchain.yaml');
    writeFileSync(config, 'osabi: HermitCore\nprefix: /usr/local/hermit\n');
    const args = ['--config', config, 'binfmt'];
    const dry = await runCli([...args, 'register', '--binfmt-dir', binfmt, '--dry-run']);
    expect(dry.stdout).toBe(`would write to ${binfmt}/register: :hermit:M:7:\\x42::/usr/local/hermit/bin/proxy:`);
    expect(readFileSync(path.join(binfmt, 'register'), 'utf8')).toBe('');
    const status = await runCli([...args, 'status', '--binfmt-dir', binfmt]);
    expect(status.exitCode).toBe(1);
    expect(status.stdout).toContain('hermit: not registered');
    const registered = await runCli([...args, 'register', '--binfmt-dir', binfmt]);
    expect(registered.exitCode, registered.stderr).toBe(0);
    expect(readFileSync(path.join(binfmt, 'register'), 'utf8')).toBe(':hermit:M:7:\\x42::/usr/local/hermit/bin/proxy:');
    // Play the kernel: the entry appears.
    writeFileSync(path.join(binfmt, 'hermit'), 'enabled\ninterpreter /usr/local/hermit/bin/proxy\nflags: \noffset 7\nmagic 42\n');
    expect((await runCli([...args, 'status', '--binfmt-dir', binfmt])).exitCode).toBe(0);
    // The default profile (Standalone) differs: status fails, register replaces.
    expect((await runCli(['binfmt', 'status', '--binfmt-dir', binfmt])).stdout).toContain('differs from the profile, which wants :hermit:M:7:\\xff::/opt/hermit/bin/proxy:');
    expect((await runCli([...args, 'unregister', '--binfmt-dir', binfmt])).exitCode).toBe(0);
    expect(readFileSync(path.join(binfmt, 'hermit'), 'utf8')).toBe('-1');
  });

  it('explains what to do when binfmt_misc is not mounted', async () => {
    const dir = await tempDir();
    const result = await runCli(['binfmt', 'register', '--binfmt-dir', dir]);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain(`error: ${dir} has no register file: it is not a binfmt_misc mount (mount one with \`mount binfmt_misc -t binfmt_misc ${dir}\`)`);
    expect((await runCli(['binfmt', 'enable'])).stderr).toMatch(/Allowed choices are register, unregister, status/);
  });
});
