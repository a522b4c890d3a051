import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it, onTestFinished } from 'vitest';
import { CLI, runCli, startCli, summaryOf } from '../support/cli.js';
import { fileExists, succeeds, makeBlobFixture, releaseHeldResponses, sha256, sizeOf, waitFor } from '../support/faults.js';
import { alive, killQuietly, waitForPid } from '../support/pids.js';
import { storedKey } from '../support/state.js';
import { tempDir } from '../support/tmp.js';

afterEach(() => releaseHeldResponses());

/** SIGKILLs a started CLI and waits for it: no handler runs, as when the OOM killer or a power cut ends it. */
async function killHard(running: ReturnType<typeof startCli>): Promise<void> {
  running.kill('SIGKILL');
  const result = await running;
  expect(result.signal).toBe('SIGKILL');
}

/** A `fetch` whose server sent half of the tarball and now waits; the half is in the `.part`. */
async function halfwayThroughDownload() {
  const root = await tempDir();
  const fixture = await makeBlobFixture(root);
  fixture.mode = 'half-then-hang';
  const cache = path.join(root, 'cache');
  const args = ['--toolchain', fixture.dir, '--work', path.join(root, 'work'), '--cache', cache];
  const part = `${fixture.cached(cache)}.part`;
  const half = Math.floor(fixture.tarball.length / 2);
  const running = startCli([...args, 'fetch']);
  onTestFinished(() => void (running.pid && killQuietly(running.pid)));
  await fixture.halfSent;
  await waitFor(() => sizeOf(part) === half, 'the first half in the partial file');
  return { fixture, cache, args, part, half, running };
}

describe('the orchestrator killed (SIGKILL)', () => {
  it('in the middle of an install step: the rerun ends the step left running, installs again and succeeds; nothing half-installed is taken as done', async () => {
    const root = await tempDir();
    const resume = path.join(root, 'resume');
    const sleeper = path.join(root, 'sleeper');
    const seen = path.join(root, 'seen');
    // The first install step puts half of the image in place, the second waits (the first time);
    // the last one, on the rerun, notes the state of the first run's sleeper (none: it is gone).
    const fixture = await makeBlobFixture(root, { size: 16 * 1024 });
    const recipe = path.join(fixture.dir, 'recipes/blob.yaml');
    writeFileSync(
      recipe,
      readFileSync(recipe, 'utf8') +
        `  - [sh, -c, "test -e ${resume} || { touch {image}{prefix}/share/blob/first-run-only; sleep 60 & echo $! > ${sleeper}; wait; }"]
  - [install, -D, -m, "644", data, "{image}{prefix}/share/blob/second"]
  - [sh, -c, "test -e ${resume} && cut -d ' ' -f 3 < /proc/$(cat ${sleeper})/stat > ${seen} 2>/dev/null; true"]
`,
    );
    const work = path.join(root, 'work');
    const args = ['--toolchain', fixture.dir, '--work', work, '--cache', path.join(root, 'cache')];

    const running = startCli([...args, 'build']);
    onTestFinished(() => void (running.pid && killQuietly(running.pid)));
    const step = await waitForPid(sleeper, 'the install step');
    onTestFinished(() => killQuietly(step));
    // The record is written just after the spawn, and the step's shell can get this far first: a
    // kill between the two leaves a step no run knows of, a window of a moment the test must not hit.
    const journal = path.join(work, 'running', String(running.pid));
    await waitFor(() => existsSync(journal) && / blob:install\n/.test(readFileSync(journal, 'utf8')), 'the record of the install step');
    await killHard(running);
    // A SIGKILLed process cannot end its children: the step's process group outlives it.
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(alive(step)).toBe(true);
    expect(existsSync(path.join(work, 'image/blob/opt/hermit/share/blob/data'))).toBe(true);
    expect(storedKey(work, 'blob', 'install')).toBeUndefined();

    writeFileSync(resume, '');
    const again = await runCli([...args, 'build']);
    expect(again.exitCode, again.stderr).toBe(0);
    expect(again.stderr).toBe(`ended 1 step left running by a killed run (pid ${running.pid}): blob:install`);
    // Gone before the rerun's install started (a zombie waiting for its reaper has ended too).
    expect(['', 'Z\n']).toContain(readFileSync(seen, 'utf8'));
    expect(alive(step)).toBe(false);
    expect(again.stdout).toContain('done    blob:install');
    expect(summaryOf(again.stdout)).toMatch(/ran 1 tasks, skipped 3, failed 0/);
    for (const file of ['data', 'second']) expect(sizeOf(path.join(work, 'image/blob/opt/hermit/share/blob', file))).toBe(16 * 1024);
    // The rerun installed into an empty image: nothing of the killed run is left in it.
    expect(existsSync(path.join(work, 'image/blob/opt/hermit/share/blob/first-run-only'))).toBe(false);
    // Every step of the rerun ended: none is recorded as running (and when none ran long enough
    // to be recorded, there is no folder of records at all).
    const records = path.join(work, 'running');
    expect(existsSync(records) ? readdirSync(records) : []).toEqual([]);
  });

  it('between making the work-directory lock and writing its pid: the empty lock is taken over', async () => {
    const root = await tempDir();
    const fixture = await makeBlobFixture(root);
    const work = path.join(root, 'work');
    const args = ['--toolchain', fixture.dir, '--work', work, '--cache', path.join(root, 'cache')];
    // What such a kill left behind when the lock was made first and written after.
    mkdirSync(work, { recursive: true });
    writeFileSync(path.join(work, '.lock'), '');
    const result = await succeeds([...args, 'build']);
    expect(summaryOf(result.stdout)).toMatch(/ran 4 tasks, skipped 0, failed 0/);
    expect(existsSync(path.join(work, '.lock'))).toBe(false);
  });

  it('during a download: the partial file and stale locks are taken over, the rerun resumes and verifies', async () => {
    const { fixture, cache, args, part, half, running } = await halfwayThroughDownload();
    await killHard(running);
    expect(existsSync(`${fixture.cached(cache)}.lock`)).toBe(true);

    fixture.mode = 'good';
    const again = await succeeds([...args, 'fetch']);
    expect(fixture.ranges.at(-1)).toBe(`bytes=${half}-`);
    expect(sha256(readFileSync(fixture.cached(cache)))).toBe(sha256(fixture.tarball));
    expect(sizeOf(part)).toBeUndefined();
  });
});

describe('the orchestrator interrupted (SIGTERM)', () => {
  it('during a download: exits 130, keeps the partial file, and the rerun resumes it', async () => {
    const { fixture, cache, args, part, half, running } = await halfwayThroughDownload();
    running.kill('SIGTERM');
    const result = await running;
    expect(result.exitCode).toBe(130);
    expect(result.stderr.split('\n').filter((line) => line !== '')).toEqual(['SIGTERM: stopping every running step (press again to exit at once)']);
    expect(sizeOf(part)).toBe(half);
    expect(existsSync(`${fixture.cached(cache)}.lock`)).toBe(false);

    fixture.mode = 'good';
    await succeeds([...args, 'fetch']);
    expect(fixture.ranges.at(-1)).toBe(`bytes=${half}-`);
    expect(sha256(readFileSync(fixture.cached(cache)))).toBe(sha256(fixture.tarball));
  });
});

describe('the output closed early (`build | head -1`)', () => {
  it('ends every running step, exits 141 as if by SIGPIPE, without a stack trace, and the rerun succeeds', async () => {
    const root = await tempDir();
    const sleeper = path.join(root, 'sleeper');
    const go = path.join(root, 'go');
    const resume = path.join(root, 'resume');
    const fixture = await makeBlobFixture(root, { size: 16 * 1024 });
    const recipe = path.join(fixture.dir, 'recipes/blob.yaml');
    writeFileSync(recipe, `${readFileSync(recipe, 'utf8')}  - [sh, -c, "test -e ${resume} || { sleep 60 & echo $! > ${sleeper}; wait; }"]\n`);
    // Finishes only when told, so that the build writes a line after the reader has gone.
    writeFileSync(
      path.join(fixture.dir, 'recipes/later.yaml'),
      `name: later\nversion: "1"\nsummary: later\nlicense: MIT\nbuild:\n  - [sh, -c, "while ! test -e ${go}; do sleep 0.05; done"]\n`,
    );
    const work = path.join(root, 'work');
    const args = ['--toolchain', fixture.dir, '--work', work, '--cache', path.join(root, 'cache'), '--jobs', '2'];

    const running = spawn(process.execPath, [CLI, ...args, 'build'], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, CI: '1' } });
    onTestFinished(() => void (running.pid && killQuietly(running.pid)));
    let stderr = '';
    running.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    let stdout = '';
    running.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => running.once('exit', (code) => resolve(code)));
    const step = await waitForPid(sleeper, 'the install step');
    onTestFinished(() => killQuietly(step));
    // Lines go out in batches: the reader takes the start lines of both running tasks before it
    // goes, or one still waiting would meet the closed pipe before later's end line does.
    await waitFor(() => stdout.includes('start   later:build') && stdout.includes('start   blob:install'), 'the start lines');
    // The reader goes away, as `head -1` does once it has its line.
    running.stdout.destroy();
    writeFileSync(go, '');

    expect(await exited).toBe(141);
    expect(stderr.split('\n').filter((line) => line !== ''), stderr).toEqual(['SIGPIPE (the output was closed): stopping every running step']);
    await waitFor(() => !alive(step), 'the step to end', 2000);
    expect(existsSync(path.join(work, '.lock'))).toBe(false);
    expect(storedKey(work, 'blob', 'install')).toBeUndefined();

    writeFileSync(resume, '');
    // The task whose line met the closed pipe had finished: only the install runs again.
    const again = await succeeds(args.concat('build'));
    expect(again.stdout).toContain('done    blob:install');
    expect(summaryOf(again.stdout)).toMatch(/ran 1 tasks, skipped 4, failed 0/);
  });
});
