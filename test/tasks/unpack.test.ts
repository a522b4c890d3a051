import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { executeBuild, prepareBuild } from '../../src/engine/execute.js';
import { TaskError } from '../../src/errors.js';
import { CounterBudget } from '../../src/process/budget.js';
import { loadToolchain } from '../../src/recipes/load.js';
import { rawTar } from '../support/tarball.js';
import { tempDir } from '../support/tmp.js';

/** Builds a one-recipe toolchain from the archive `name` holding `bytes`, given as its --source. */
async function unpackOf(name: string, bytes: Buffer) {
  const root = await tempDir();
  const dir = path.join(root, 'toolchain');
  mkdirSync(path.join(dir, 'recipes'), { recursive: true });
  const source = `source:\n  url: http://127.0.0.1:9/demo-1.tar\n  sha256: "${'a'.repeat(64)}"\n`;
  writeFileSync(path.join(dir, 'recipes/demo.yaml'), `name: demo\nversion: "1"\nsummary: a demo\nlicense: MIT\n${source}build:\n  - ["true"]\n`);
  const archive = path.join(root, name);
  writeFileSync(archive, bytes);
  const work = path.join(root, 'work');
  const prepared = await prepareBuild({
    toolchain: await loadToolchain(dir),
    workDir: work,
    cacheDir: path.join(root, 'cache'),
    jobs: 1,
    overrides: new Map([['demo', archive]]),
  });
  const outcome = await executeBuild(prepared, { budget: new CounterBudget(1) });
  return { outcome, log: path.join(work, 'logs', 'demo', 'unpack.log') };
}

describe('the unpack task', () => {
  it.each([
    ['an unsafe archive', 'demo.tar', rawTar([{ name: 'link', type: 'symlink', link: '/etc' }]), 'refusing demo.tar: 1 unsafe entry: link: links to /etc, outside the source folder'],
    ['a corrupt archive', 'demo.tar.gz', Buffer.from('not gzip at all\n'), 'cannot unpack demo.tar.gz: not a tar archive'],
    ['an unknown format', 'demo.rar', Buffer.from('Rar!'), 'do not know how to unpack demo.rar (known: .tar, .tar.gz, .tar.xz, .tar.bz2, .tar.zst, .zip)'],
  ])('fails on %s naming the recipe and the task, with the log', async (_what, name, bytes, problem) => {
    const { outcome, log } = await unpackOf(name, bytes);
    expect(outcome.failed).toBe(1);
    const error = outcome.errors[0]!.error;
    expect(error).toBeInstanceOf(TaskError);
    expect(error).toMatchObject({ message: `demo: unpack: ${problem}`, logPath: log });
    expect(readFileSync(log, 'utf8')).toContain(`${problem}\n`);
  });
});
