import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { stripVTControlCharacters } from 'node:util';
import { describe, expect, it } from 'vitest';
import { CLI } from '../support/cli.js';
import { PYTHON, runOnPty } from '../support/pty.js';
import { tempDir } from '../support/tmp.js';

describe('the live view', () => {
  it.skipIf(!PYTHON)('on a terminal that says it has 0 columns, draws whole rows (as if 80 wide)', async () => {
    const root = await tempDir();
    const toolchain = path.join(root, 'toolchain');
    mkdirSync(path.join(toolchain, 'recipes'), { recursive: true });
    writeFileSync(path.join(toolchain, 'recipes/slow.yaml'), 'name: slow\nversion: "1"\nsummary: s\nlicense: MIT\nbuild:\n  - [sleep, "1.2"]\n');
    const args = ['--toolchain', toolchain, '--work', path.join(root, 'work'), '--cache', path.join(root, 'cache'), 'build'];
    const run = await runOnPty([process.execPath, CLI, ...args], { env: { ...process.env, CI: undefined, TERM: 'xterm' } });
    expect(run.ended).toBe('exit 0');
    const lines = stripVTControlCharacters(run.output).split(/\r?\n/);
    expect(lines, run.output).toContain('✔ slow 1: done');
    expect(lines.filter((line) => line.trim().length === 1)).toEqual([]);
  });

  it.skipIf(!PYTHON)('shows each running task against its last time, and what the whole build has left by the last build\'s times', async () => {
    const root = await tempDir();
    const toolchain = path.join(root, 'toolchain');
    mkdirSync(path.join(toolchain, 'recipes'), { recursive: true });
    writeFileSync(path.join(toolchain, 'recipes/slow.yaml'), 'name: slow\nversion: "1"\nsummary: s\nlicense: MIT\nbuild:\n  - [sleep, "2.5"]\n');
    const args = ['--toolchain', toolchain, '--work', path.join(root, 'work'), '--cache', path.join(root, 'cache'), 'build'];
    const first = await runOnPty([process.execPath, CLI, ...args], { env: { ...process.env, CI: undefined, TERM: 'xterm' }, size: { rows: 24, columns: 100 } });
    expect(first.ended).toBe('exit 0');
    // No earlier times: no estimate.
    expect(stripVTControlCharacters(first.output)).not.toContain('whole build');

    const second = await runOnPty([process.execPath, CLI, ...args, '--force', 'slow'], { env: { ...process.env, CI: undefined, TERM: 'xterm' }, size: { rows: 24, columns: 100 } });
    expect(second.ended).toBe('exit 0');
    const frames = stripVTControlCharacters(second.output);
    expect(frames).toMatch(/slow 1: build \d+(\.\d)?m?s \(\d+\.\ds last time\) \[0\/1\]/);
    expect(frames).toMatch(/whole build: \d\.\ds so far, about \d+(\.\d)?m?s left by the last build's times/);
    expect(frames).toMatch(/✔ whole build: \d+\.\ds \(the last build's times said \d+\.\ds\)/);
  });
});
