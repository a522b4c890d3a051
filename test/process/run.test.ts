import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { text } from 'node:stream/consumers';
import { StepFailure, explainExit, runCaptured, runStep, shellQuote, startTool, tailLines } from '../../src/process/run.js';
import { procStat } from '../../src/process/proc.js';
import { tempDir } from '../support/tmp.js';

const env = { PATH: process.env.PATH ?? '/usr/bin:/bin' };

describe('running a step', () => {
  it('logs the command, its output and its result', async () => {
    const dir = await tempDir();
    const log = path.join(dir, 'logs/x.log');
    await runStep(['sh', '-c', 'echo out; echo err >&2'], { cwd: dir, env, logFile: log });
    const text = readFileSync(log, 'utf8');
    expect(text).toMatch(/^\$ sh -c 'echo out; echo err >&2'\n  \(in .*\)\nout\nerr\n=> ok after/);
  });

  it('runs without a shell and without inheriting the environment', async () => {
    const dir = await tempDir();
    const log = path.join(dir, 'x.log');
    await runStep(['printenv', 'ONLY'], { cwd: dir, env: { ...env, ONLY: '$HOME;*' }, logFile: log });
    expect(readFileSync(log, 'utf8')).toContain('\n$HOME;*\n');
    await expect(runStep(['printenv', 'VITEST'], { cwd: dir, env, logFile: log })).rejects.toThrow(StepFailure);
  });

  it('explains exit codes and missing commands', async () => {
    const dir = await tempDir();
    const log = path.join(dir, 'x.log');
    const missing = await runStep(['no-such-command-here'], { cwd: dir, env, logFile: log }).catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(StepFailure);
    expect((missing as StepFailure).message).toBe('`no-such-command-here` exited with code 127 (command not found)');
    const killed = await runStep(['sh', '-c', 'kill -SEGV $$'], { cwd: dir, env, logFile: log }).catch((e: unknown) => e);
    expect((killed as StepFailure).message).toMatch(/was killed by SIGSEGV \(segmentation fault\)/);
    expect(explainExit(137, undefined)).toMatch(/SIGKILL/);
    expect(explainExit(2, undefined)).toBe('exited with code 2');
  });

  it('tells its watcher the process group of the step while it runs', async () => {
    const dir = await tempDir();
    const events: string[] = [];
    const group = {
      started: (pgid: number) => events.push(`started ${pgid} ${procStat(pgid)?.pgrp}`),
      ended: (pgid: number) => events.push(`ended ${pgid}`),
    };
    // Alive a while: a step gone before its start is handled has no group left to look at.
    await runStep(['sh', '-c', 'echo $$ > pid; sleep 0.3'], { cwd: dir, env, logFile: path.join(dir, 'x.log'), group });
    const pid = Number(readFileSync(path.join(dir, 'pid'), 'utf8'));
    // The step leads a group of its own: the group's id is its pid.
    expect(events).toEqual([`started ${pid} ${pid}`, `ended ${pid}`]);
    await expect(runStep(['sh', '-c', 'sleep 0.1; exit 1'], { cwd: dir, env, logFile: path.join(dir, 'x.log'), group })).rejects.toThrow(StepFailure);
    expect(events.filter((event) => event.startsWith('ended'))).toHaveLength(2);
  });

  it('quotes only what needs quoting', () => {
    expect(shellQuote(['make', 'DESTDIR=/a/b', 'CFLAGS=-O2 -g', "it's"])).toBe(`make DESTDIR=/a/b 'CFLAGS=-O2 -g' 'it'\\''s'`);
  });

  it('reads the last lines of a log', async () => {
    const dir = await tempDir();
    const log = path.join(dir, 'x.log');
    await runStep(['sh', '-c', 'seq 1 100000'], { cwd: dir, env, logFile: log });
    const tail = await tailLines(log, 3);
    expect(tail.slice(0, 2)).toEqual(['99999', '100000']);
    expect(tail[2]).toMatch(/^=> ok after/);
    expect(await tailLines(path.join(dir, 'missing.log'), 3)).toEqual([]);
    // Read from no more than its last bytes: the window's first line is cut.
    const bounded = await tailLines(log, 1000, 20);
    expect(bounded.join('\n').length).toBeLessThanOrEqual(20);
    expect(bounded.at(-1)).toMatch(/^=> ok after/);
  });

  it('gathers the output of a tool it asks, and says how it ended instead of throwing', async () => {
    const dir = await tempDir();
    expect(await runCaptured(['sh', '-c', 'pwd; echo "$ONLY"; echo err >&2; exit 3'], { cwd: dir, env: { ...env, ONLY: 'x' } })).toEqual({
      exitCode: 3,
      signal: undefined,
      stdout: `${dir}\nx`,
      stderr: 'err',
    });
    expect(await runCaptured(['printenv', 'VITEST'], { env })).toMatchObject({ exitCode: 1, stdout: '' });
    expect(await runCaptured(['no-such-command-here'])).toMatchObject({ exitCode: 127, stdout: '', stderr: expect.stringMatching(/ENOENT/) });
    expect(await runCaptured(['sh', '-c', 'kill -TERM $$'])).toMatchObject({ exitCode: undefined, signal: 'SIGTERM' });
  });
});

describe('a helper tool', () => {
  it('gives its stdout as a stream, with its stdin closed and the environment changed as asked', async () => {
    const dir = await tempDir();
    writeFileSync(path.join(dir, 'in'), 'from the file\n');
    process.env.HT_TOOL_DROPPED = 'x';
    try {
      const script = 'cat "$1"; cat; echo "$HT_TOOL_SET ${HT_TOOL_DROPPED-unset}"';
      const tool = await startTool(['sh', '-c', script, 'sh', path.join(dir, 'in')], { stdin: 'ignore', stdout: 'pipe', env: { HT_TOOL_SET: 'set', HT_TOOL_DROPPED: undefined } });
      expect(await text(tool.stdout!)).toBe('from the file\nset unset\n');
      expect(await tool.exit).toEqual({ failure: undefined, signal: undefined, stderr: '' });
    } finally {
      delete process.env.HT_TOOL_DROPPED;
    }
  });

  it('keeps only the start of a long stderr, and says how it failed', async () => {
    const tool = await startTool(['sh', '-c', 'echo first >&2; head -c 1000000 /dev/zero | tr "\\0" x >&2; exit 3'], { stdin: 'ignore', stdout: 'ignore' });
    const exit = await tool.exit;
    expect(exit.stderr.startsWith('first\n')).toBe(true);
    expect(exit.stderr.length).toBeLessThanOrEqual(16 * 1024);
    expect(exit.failure?.message).toMatch(/exited with code 3$/);
    const missing = await (await startTool(['no-such-command-here'], { stdin: 'pipe', stdout: 'ignore' })).exit;
    expect(missing.failure?.message).toBe('`no-such-command-here` exited with code 127 (command not found)');
  });
});
