import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { UserError } from '../../src/errors.js';
import { DEFAULT_HEARTBEAT_MS, heartbeatInterval, heartbeatLine, lastLogLine } from '../../src/ui/heartbeat.js';
import { runCli } from '../support/cli.js';
import { tempDir } from '../support/tmp.js';

describe('the heartbeat interval', () => {
  it('is a minute unless $HERMIT_HEARTBEAT_SECONDS says otherwise; 0 turns heartbeats off', () => {
    expect(heartbeatInterval({})).toBe(DEFAULT_HEARTBEAT_MS);
    expect(DEFAULT_HEARTBEAT_MS).toBe(60_000);
    expect(heartbeatInterval({ HERMIT_HEARTBEAT_SECONDS: '' })).toBe(60_000);
    expect(heartbeatInterval({ HERMIT_HEARTBEAT_SECONDS: '1.5' })).toBe(1500);
    expect(heartbeatInterval({ HERMIT_HEARTBEAT_SECONDS: '0' })).toBeUndefined();
    for (const text of ['soon', '-1', 'Infinity']) expect(() => heartbeatInterval({ HERMIT_HEARTBEAT_SECONDS: text })).toThrow(UserError);
  });
});

describe('the log line a heartbeat shows', () => {
  it('is the last line with anything on it, as a terminal shows it', () => {
    expect(lastLogLine(['$ make', 'gcc -c foo.c', '', '  '])).toBe('gcc -c foo.c');
    // A progress display rewrites its line; colours are left out.
    expect(lastLogLine(['downloading 10%\r downloading 50%\r'])).toBe('downloading 50%');
    expect(lastLogLine(['\u001b[01m\u001b[Kfoo.c:\u001b[m\u001b[K warning'])).toBe('foo.c: warning');
    expect(lastLogLine([])).toBeUndefined();
    const long = lastLogLine(['x'.repeat(500)])!;
    expect(long).toHaveLength(160);
    expect(long.endsWith('…')).toBe(true);
  });

  it('comes with the task, its time so far and its time last time', () => {
    expect(heartbeatLine('gcc:build', 300_000, 965_000, 'make[2]: Entering directory')).toBe('running gcc:build for 5m00s (16m05s last time): make[2]: Entering directory');
    expect(heartbeatLine('gcc:build', 61_000, undefined, undefined)).toBe('running gcc:build for 1m01s: (nothing in its log yet)');
  });
});

describe('a build without a terminal', () => {
  it('prints a heartbeat for each running long task at the interval, with its log\'s last line', async () => {
    const root = await tempDir();
    const toolchain = path.join(root, 'toolchain');
    mkdirSync(path.join(toolchain, 'recipes'), { recursive: true });
    const recipe = (name: string, step: string) => `name: ${name}\nversion: "1"\nsummary: s\nlicense: MIT\nbuild:\n  - [sh, -c, '${step}']\n`;
    writeFileSync(path.join(toolchain, 'recipes/slow.yaml'), recipe('slow', 'echo compiling the answer; sleep 3'));
    writeFileSync(path.join(toolchain, 'recipes/quick.yaml'), recipe('quick', 'echo quick'));
    const args = ['--toolchain', toolchain, '--work', path.join(root, 'work'), '--cache', path.join(root, 'cache'), 'build'];
    const build = (env: Record<string, string>, ...more: string[]) => runCli([...args, ...more], env);

    const first = await build({ HERMIT_HEARTBEAT_SECONDS: '1' });
    expect(first.exitCode).toBe(0);
    const lines = first.stdout.split('\n');
    const beats = lines.slice(lines.indexOf('start   slow:build'), lines.indexOf('done    slow:build')).filter((line) => line.startsWith('running'));
    expect(beats.length, first.stdout).toBeGreaterThanOrEqual(2);
    for (const beat of beats) expect(beat).toMatch(/^running slow:build for \d\.\ds: compiling the answer$/);
    expect(Number(/for (\d\.\d)s/.exec(beats[0]!)![1])).toBeGreaterThanOrEqual(1);
    expect(first.stdout).not.toContain('running quick:build');
    // After its done line a task says nothing more.
    expect(lines.slice(lines.indexOf('done    slow:build')).filter((line) => line.startsWith('running'))).toEqual([]);

    // The next build knows how long the task took.
    const second = await build({ HERMIT_HEARTBEAT_SECONDS: '1' }, '--force', 'slow');
    expect(second.stdout).toMatch(/^running slow:build for \d\.\ds \(3\.\ds last time\): compiling the answer$/m);

    const off = await build({ HERMIT_HEARTBEAT_SECONDS: '0' }, '--force', 'slow');
    expect(off.exitCode).toBe(0);
    expect(off.stdout).not.toContain('running ');

    const wrong = await build({ HERMIT_HEARTBEAT_SECONDS: 'soon' });
    expect(wrong.exitCode).toBe(1);
    expect(wrong.stderr).toBe('error: HERMIT_HEARTBEAT_SECONDS must be a number of seconds (0: no heartbeat), not "soon"');
  });
});
