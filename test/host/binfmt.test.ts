import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { hermitEntry, parseEntry, registerAction, registerLine, sameRegistration } from '../../src/host/binfmt.js';
import { BinfmtMisc, entryStatus, registerEntry, unregisterEntry } from '../../src/host/binfmt-misc.js';
import { runCli } from '../support/cli.js';
import { tempDir } from '../support/tmp.js';

/** What the kernel shows in /proc/sys/fs/binfmt_misc/hermit for our entry (fs/binfmt_misc.c). */
const kernelView = (magic: string, interpreter = '/opt/hermit/bin/proxy', state = 'enabled'): string =>
  `${state}\ninterpreter ${interpreter}\nflags: \noffset 7\nmagic ${magic}\n`;

/** A folder standing in for the binfmt_misc mount: `register` and `status` files. */
async function fakeBinfmt(): Promise<BinfmtMisc> {
  const dir = path.join(await tempDir(), 'binfmt_misc');
  await mkdir(dir);
  await writeFile(path.join(dir, 'register'), '');
  await writeFile(path.join(dir, 'status'), 'enabled\n');
  return new BinfmtMisc(dir);
}

describe('binfmt_misc lines', () => {
  it('matches the OS/ABI byte at offset 7: 0xFF for Standalone, 0x42 for HermitCore', () => {
    expect(registerLine(hermitEntry(0xff, '/opt/hermit'))).toBe(':hermit:M:7:\\xff::/opt/hermit/bin/proxy:');
    expect(registerLine(hermitEntry(0x42, '/opt/hermit'))).toBe(':hermit:M:7:\\x42::/opt/hermit/bin/proxy:');
    expect(registerLine(hermitEntry(0x03, '/usr/local/hermit'))).toBe(':hermit:M:7:\\x03::/usr/local/hermit/bin/proxy:');
  });

  it('refuses interpreters the line cannot carry', () => {
    expect(() => registerLine(hermitEntry(0xff, '/opt/her:mit'))).toThrow(/no ':' or blanks/);
    expect(() => registerLine(hermitEntry(0xff, '/opt/her mit'))).toThrow(/no ':' or blanks/);
    expect(() => registerLine({ ...hermitEntry(0xff, '/opt/hermit'), interpreter: 'proxy' })).toThrow(/absolute path/);
  });

  it('reads the kernel view of an entry and compares it with the wanted one', () => {
    const entry = hermitEntry(0xff, '/opt/hermit');
    const view = parseEntry(kernelView('ff'));
    expect(view).toEqual({ enabled: true, interpreter: '/opt/hermit/bin/proxy', flags: '', offset: 7, magic: 'ff', mask: undefined, extension: undefined });
    expect(sameRegistration(entry, view)).toBe(true);
    expect(sameRegistration(entry, parseEntry(kernelView('42')))).toBe(false);
    expect(sameRegistration(entry, parseEntry(kernelView('ff', '/usr/bin/uhyve')))).toBe(false);
    expect(sameRegistration(entry, parseEntry(`${kernelView('ff')}mask ff\n`))).toBe(true);
    expect(sameRegistration(entry, parseEntry(`${kernelView('ff')}mask 0f\n`))).toBe(false);
    expect(sameRegistration(entry, parseEntry('enabled\ninterpreter /opt/hermit/bin/proxy\nflags: F\noffset 7\nmagic ff\n'))).toBe(false);
    expect(() => parseEntry('-1')).toThrow(/not a binfmt_misc entry/);
    expect(registerAction(entry, undefined)).toEqual({ kind: 'register', line: ':hermit:M:7:\\xff::/opt/hermit/bin/proxy:' });
    expect(registerAction(entry, view)).toEqual({ kind: 'keep' });
    expect(registerAction(entry, parseEntry(kernelView('ff', '/opt/hermit/bin/proxy', 'disabled'))).kind).toBe('replace');
  });
});

describe('binfmt_misc registration (against a stand-in folder)', () => {
  const lines: string[] = [];
  const run = { dryRun: false, print: (line: string) => lines.push(line) };

  it('registers, keeps an identical entry, replaces a different one, and unregisters', async () => {
    const fs = await fakeBinfmt();
    const standalone = hermitEntry(0xff, '/opt/hermit');
    await registerEntry(fs, standalone, run);
    expect(await readFile(fs.registerNode, 'utf8')).toBe(':hermit:M:7:\\xff::/opt/hermit/bin/proxy:');

    // The kernel now shows the entry; registering again writes nothing.
    await writeFile(fs.entryFile('hermit'), kernelView('ff'));
    await writeFile(fs.registerNode, 'untouched');
    await registerEntry(fs, standalone, run);
    expect(await readFile(fs.registerNode, 'utf8')).toBe('untouched');
    expect(lines.at(-1)).toMatch(/already registered as wanted .*; left alone/);
    expect(await entryStatus(fs, standalone)).toEqual({
      ok: true,
      lines: [`binfmt_misc at ${fs.dir}: enabled`, 'hermit: enabled, magic ff at offset 7, interpreter /opt/hermit/bin/proxy', 'hermit: matches the profile (:hermit:M:7:\\xff::/opt/hermit/bin/proxy:)'],
    });

    // A profile with the original toolchain's OS/ABI: the old entry is removed (-1), the new one written.
    const hermitcore = hermitEntry(0x42, '/opt/hermit');
    expect((await entryStatus(fs, hermitcore)).ok).toBe(false);
    await registerEntry(fs, hermitcore, run);
    expect(await readFile(fs.entryFile('hermit'), 'utf8')).toBe('-1');
    expect(await readFile(fs.registerNode, 'utf8')).toBe(':hermit:M:7:\\x42::/opt/hermit/bin/proxy:');
    expect(lines.slice(-3)).toEqual([
      'binfmt_misc: hermit is registered differently (enabled, magic ff at offset 7, interpreter /opt/hermit/bin/proxy); replacing it',
      `write -1 to ${fs.entryFile('hermit')}`,
      `write to ${fs.registerNode}: :hermit:M:7:\\x42::/opt/hermit/bin/proxy:`,
    ]);

    await writeFile(fs.entryFile('hermit'), kernelView('42'));
    await unregisterEntry(fs, 'hermit', run);
    expect(await readFile(fs.entryFile('hermit'), 'utf8')).toBe('-1');
  });

  it('status reports a missing entry and a disabled binfmt_misc', async () => {
    const fs = await fakeBinfmt();
    const entry = hermitEntry(0xff, '/opt/hermit');
    expect(await entryStatus(fs, entry)).toEqual({
      ok: false,
      lines: [`binfmt_misc at ${fs.dir}: enabled`, 'hermit: not registered (register writes :hermit:M:7:\\xff::/opt/hermit/bin/proxy:)'],
    });
    await writeFile(fs.entryFile('hermit'), kernelView('ff'));
    await writeFile(path.join(fs.dir, 'status'), 'disabled\n');
    expect((await entryStatus(fs, entry)).ok).toBe(false);
    await unregisterEntry(fs, 'other', run);
    expect(lines.at(-1)).toBe('binfmt_misc: other is not registered; nothing to do');
  });

  it('explains how to mount binfmt_misc when it is not mounted; --dry-run writes nothing', async () => {
    const dir = path.join(await tempDir(), 'empty');
    await mkdir(dir);
    const fs = new BinfmtMisc(dir);
    await expect(registerEntry(fs, hermitEntry(0xff, '/opt/hermit'), run)).rejects.toThrow(`mount binfmt_misc -t binfmt_misc ${dir}`);
    expect((await entryStatus(fs, hermitEntry(0xff, '/opt/hermit'))).ok).toBe(false);
    expect(new BinfmtMisc().dir).toBe('/proc/sys/fs/binfmt_misc');

    const mounted = await fakeBinfmt();
    const printed: string[] = [];
    await registerEntry(mounted, hermitEntry(0x42, '/opt/hermit'), { dryRun: true, print: (line) => printed.push(line) });
    expect(printed).toEqual([`would write to ${mounted.registerNode}: :hermit:M:7:\\x42::/opt/hermit/bin/proxy:`]);
    expect(await readFile(mounted.registerNode, 'utf8')).toBe('');
  });

  it('binfmt register --interpreter registers another proxy, e.g. one installed under a --root', async () => {
    const mounted = await fakeBinfmt();
    const result = await runCli(['binfmt', 'register', '--dry-run', '--binfmt-dir', mounted.dir, '--interpreter', '/srv/root/opt/hermit/bin/proxy']);
    expect(result.stdout).toContain(`would write to ${mounted.registerNode}: :hermit:M:7:\\xff::/srv/root/opt/hermit/bin/proxy:`);
    expect(result.exitCode).toBe(0);
  });
});
