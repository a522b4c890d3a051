import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { CLI, runCli, startCli, summaryOf } from '../support/cli.js';
import { PYTHON, runOnPty } from '../support/pty.js';
import { alive, killQuietly, waitForPid } from '../support/pids.js';
import { storedKey } from '../support/state.js';
import { tempDir } from '../support/tmp.js';

/** A toolchain of step-only recipes (no sources), written into a temp folder. */
async function stepToolchain(recipes: Record<string, string>): Promise<{ dir: string; args: string[]; root: string }> {
  const root = await tempDir();
  const dir = path.join(root, 'toolchain');
  mkdirSync(path.join(dir, 'recipes'), { recursive: true });
  for (const [name, body] of Object.entries(recipes)) {
    writeFileSync(path.join(dir, 'recipes', `${name}.yaml`), `name: ${name}\nversion: "1"\nsummary: ${name}\nlicense: MIT\n${body}`);
  }
  return { dir, root, args: ['--toolchain', dir, '--work', path.join(root, 'work'), '--cache', path.join(root, 'cache')] };
}

/** Highest number of jobs running at once, from "+" and "-" lines appended by each job. */
function peakConcurrency(events: string): number {
  let running = 0;
  let peak = 0;
  for (const line of events.split('\n')) {
    if (line === '+') running += 1;
    if (line === '-') running -= 1;
    peak = Math.max(peak, running);
  }
  return peak;
}

async function waitFor(file: string | (() => boolean), timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (typeof file === 'string' ? !existsSync(file) : !file()) {
    if (Date.now() > deadline) throw new Error(`${typeof file === 'string' ? file : 'the condition'} did not appear`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('running tasks', () => {
  it('shares one job budget between the makes of two recipes through the jobserver', async () => {
    const root = await tempDir();
    const events = path.join(root, 'events');
    const makefile = path.join(root, 'Makefile');
    const targets = Array.from({ length: 8 }, (_, i) => `t${i}`);
    writeFileSync(makefile, `all: ${targets.join(' ')}\nt%:\n\t@echo + >> ${events}; sleep 0.3; echo - >> ${events}\n`);
    const recipe = `build:\n  - [make, -f, ${makefile}]\n`;
    const { args } = await stepToolchain({ left: recipe, right: recipe });

    for (const jobs of [2, 3]) {
      writeFileSync(events, '');
      const result = await runCli([...args, '--jobs', String(jobs), 'build', '--force', 'left', '--force', 'right']);
      expect(result.exitCode).toBe(0);
      const log = readFileSync(events, 'utf8');
      expect(log.split('\n').filter((l) => l === '+')).toHaveLength(16);
      // Never more jobs than the budget, and the budget was used: the makes did run in parallel.
      expect(peakConcurrency(log)).toBe(jobs);
    }
  });

  it('on SIGINT ends every running process group, exits 130, and the next run resumes', async () => {
    const root = await tempDir();
    const toolchain = await stepToolchain({
      slow: `build:\n  - [sh, -c, "test -e ${root}/resume || { sleep 60 & echo $! > ${root}/child; wait; }"]\n`,
      quick: 'build:\n  - ["true"]\n',
    });
    const { args } = toolchain;
    const running = startCli([...args, '--jobs', '2', 'build']);
    const child = await waitForPid(path.join(root, 'child'), 'the slow step');
    await waitFor(() => storedKey(path.join(toolchain.root, 'work'), 'quick', 'build') !== undefined);
    expect(alive(child)).toBe(true);
    running.kill('SIGINT');
    const result = await running;
    expect(result.exitCode).toBe(130);
    expect(result.stdout).toMatch(/summary: ran \d+ tasks/);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(alive(child)).toBe(false);

    // The interrupted task runs again; the one that finished does not.
    writeFileSync(path.join(root, 'resume'), '');
    const resumed = await runCli([...args, 'build']);
    expect(resumed.exitCode).toBe(0);
    expect(summaryOf(resumed.stdout)).toMatch(/ran 1 tasks, skipped 1/);
    expect(resumed.stdout).toContain('done    slow:build');
  });

  it('on SIGHUP ends every running process group and exits 129', async () => {
    const root = await tempDir();
    const { args } = await stepToolchain({ slow: `build:\n  - [sh, -c, "sleep 60 & echo $! > ${root}/child; wait"]\n` });
    const running = startCli([...args, 'build']);
    const child = await waitForPid(path.join(root, 'child'), 'the slow step');
    onTestFinished(() => void killQuietly(child));
    expect(alive(child)).toBe(true);
    running.kill('SIGHUP');
    const result = await running;
    expect(result.exitCode).toBe(129);
    expect(result.stderr).toContain('SIGHUP: stopping every running step');
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(alive(child)).toBe(false);
  });

  it.skipIf(!PYTHON)('when its terminal closes, ends every running process group and dies by SIGHUP (status 129)', async () => {
    const root = await tempDir();
    // The pid is written aside and moved into place: the terminal closes as soon as the file exists.
    const toolchain = await stepToolchain({ slow: `build:\n  - [sh, -c, "sleep 60 & echo $! > ${root}/child.new && mv ${root}/child.new ${root}/child; wait"]\n` });
    // On a terminal the live view draws (not plain lines), closed as a window closing or an ssh
    // session dropping closes it.
    const run = await runOnPty([process.execPath, CLI, ...toolchain.args, 'build'], {
      env: { ...process.env, CI: undefined, TERM: 'xterm' },
      hangUpWhen: path.join(root, 'child'),
    });
    const child = await waitForPid(path.join(root, 'child'), 'the slow step', 0);
    onTestFinished(() => void killQuietly(child));
    // Not SIGABRT (6): node aborts when it exits normally with its terminal gone.
    expect(run.ended, run.output).toBe('signal 1');
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(alive(child)).toBe(false);
    expect(existsSync(path.join(toolchain.root, 'work/.lock'))).toBe(false);
  });

  it('refuses a second run on the same work directory', async () => {
    const { args, root } = await stepToolchain({});
    writeFileSync(path.join(root, 'toolchain/recipes/wait.yaml'), `name: wait\nversion: "1"\nsummary: w\nlicense: MIT\nbuild:\n  - [sh, -c, "touch ${root}/started; sleep 30"]\n`);
    const first = startCli([...args, 'build']);
    await waitFor(path.join(root, 'started'));
    const second = await runCli([...args, 'build']);
    expect(second.exitCode).toBe(1);
    expect(second.stderr).toMatch(/another hermit-toolchain run \(pid \d+\) is using the work directory/);
    first.kill('SIGTERM');
    expect((await first).exitCode).toBe(130);
  });

  it('with --keep-going builds what does not depend on a failure', async () => {
    const { args } = await stepToolchain({
      broken: 'build:\n  - ["false"]\n',
      after: 'needs: [broken]\nbuild:\n  - ["true"]\n',
      independent: 'build:\n  - [sleep, "0.3"]\n',
    });
    const stop = await runCli([...args, '--jobs', '1', 'build']);
    expect(stop.exitCode).toBe(1);
    expect(summaryOf(stop.stdout)).toMatch(/ran 1 tasks, skipped 0, failed 1/);
    const going = await runCli([...args, '--jobs', '1', 'build', '--keep-going']);
    expect(going.exitCode).toBe(1);
    expect(summaryOf(going.stdout)).toMatch(/ran 2 tasks, skipped 0, failed 1/);
    expect(going.stdout).toContain('not started: 1 tasks');
    expect(going.stderr).toMatch(/error: broken: build: step 1 `false` exited with code 1/);
  });

  it('--force runs a recipe again', async () => {
    const { args } = await stepToolchain({ one: 'build:\n  - ["true"]\n', two: 'build:\n  - ["true"]\n' });
    expect(summaryOf((await runCli([...args, 'build'])).stdout)).toMatch(/ran 2 tasks/);
    expect(summaryOf((await runCli([...args, 'build', '--force', 'one'])).stdout)).toMatch(/ran 1 tasks, skipped 1/);
    expect((await runCli([...args, 'build', '--force', 'nope'])).stderr).toMatch(/--force nope: no such recipe/);
  });

  it('names the recipe and step of an unknown placeholder before running anything', async () => {
    const { args } = await stepToolchain({ bad: 'build:\n  - [make, "{srcdir}/x"]\n' });
    const result = await runCli([...args, 'build']);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toMatch(/recipe bad, build step 1: unknown placeholder \{srcdir\}/);
  });
});
