import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, summaryOf } from '../support/cli.js';
import { tempDir } from '../support/tmp.js';

const HEAD = (name: string): string => `name: ${name}\nversion: "1.0"\nsummary: ${name}\nlicense: MIT\n`;

/**
 * `first` configures and builds part 1 in its build folder; `mid` needs it; `then` continues
 * first's tree once mid is there: it must find part 1 and the configuration in its folder and
 * mid's image in the stage the folder was configured with.
 */
async function continuingToolchain(): Promise<{ dir: string; work: string; args: string[] }> {
  const root = await tempDir();
  const dir = path.join(root, 'toolchain');
  mkdirSync(path.join(dir, 'recipes'), { recursive: true });
  const recipes: Record<string, string> = {
    first:
      `${HEAD('first')}configure:\n  - [sh, -c, "echo {stage} > configured-with"]\n` +
      `build:\n  - [sh, -c, "echo one > part1"]\n` +
      `install:\n  - [sh, -c, "mkdir -p {image}{prefix}/share/first && cp part1 {image}{prefix}/share/first/"]\n`,
    mid: `${HEAD('mid')}needs: [first]\ninstall:\n  - [sh, -c, "mkdir -p {image}{prefix}/share/mid && echo mid > {image}{prefix}/share/mid/mid"]\n`,
    then:
      `${HEAD('then')}continues: first\nneeds: [first, mid]\n` +
      `build:\n  - [sh, -c, "test -f part1 && test \\"$(cat configured-with)\\" = {stage} && test -f {stage}{prefix}/share/mid/mid && echo two > part2"]\n` +
      `install:\n  - [sh, -c, "mkdir -p {image}{prefix}/share/then && cp part1 part2 {image}{prefix}/share/then/"]\n`,
  };
  for (const [name, text] of Object.entries(recipes)) writeFileSync(path.join(dir, 'recipes', `${name}.yaml`), text);
  const work = path.join(root, 'work');
  return { dir, work, args: ['--toolchain', dir, '--work', work, '--cache', path.join(root, 'cache'), '--jobs', '2'] };
}

describe('a recipe that continues another one\'s tree', () => {
  it('builds on in that tree and stage, is skipped when nothing changed, and builds again when the tree is made again', async () => {
    const { work, args } = await continuingToolchain();
    const first = await runCli([...args, 'build']);
    expect(first.stderr).toBe('');
    expect(first.exitCode).toBe(0);
    expect(readFileSync(path.join(work, 'image/then/opt/hermit/share/then/part1'), 'utf8')).toBe('one\n');
    expect(readFileSync(path.join(work, 'image/then/opt/hermit/share/then/part2'), 'utf8')).toBe('two\n');
    // The continuing recipe has no tree of its own: its steps ran in first's build folder.
    expect(existsSync(path.join(work, 'obj/first/part2'))).toBe(true);
    expect(existsSync(path.join(work, 'obj/then/part2'))).toBe(false);

    const again = await runCli([...args, 'build']);
    expect(summaryOf(again.stdout)).toMatch(/ran 0 tasks/);

    // Forced, first makes its build folder afresh: then's image is still good (same keys), but
    // when it must be made again, then's build must run again too, in the new folder.
    const forced = await runCli([...args, 'build', '--force', 'first']);
    expect(forced.exitCode, forced.stderr).toBe(0);
    expect(forced.stdout).not.toContain('then:build');
    rmSync(path.join(work, 'image/then'), { recursive: true });
    const rebuilt = await runCli([...args, 'build', '--no-artifact-cache']);
    expect(rebuilt.exitCode, rebuilt.stderr).toBe(0);
    expect(rebuilt.stdout).toContain('done    then:build');
    expect(readFileSync(path.join(work, 'image/then/opt/hermit/share/then/part2'), 'utf8')).toBe('two\n');
  });

  it('shows in the graph whose tree it builds in', async () => {
    const { args } = await continuingToolchain();
    const graph = await runCli([...args, 'graph']);
    expect(graph.exitCode, graph.stderr).toBe(0);
    expect(graph.stdout).toContain('then 1.0 (needs first, mid; builds on in the tree of first)');
    expect(graph.stdout).toMatch(/ {2}build +\S+ {2}after first:install, mid:install, first:build/);
  });
});
