import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, summaryOf } from '../support/cli.js';
import { errorLines, makeBlobFixture } from '../support/faults.js';
import { tempDir } from '../support/tmp.js';
import { findAll, hasClass, parseXml, type XmlElement } from '../support/xml.js';

const byClass = (root: XmlElement, name: string): XmlElement[] => findAll(root, (element) => hasClass(element, name));

describe('timeline command', () => {
  it('draws the last build of a fixture: a row per recipe, the critical path, as a page and as an SVG', async () => {
    const root = await tempDir();
    const fixture = await makeBlobFixture(root);
    // Two more recipes and one job: app waits for blob and slow, and one of them for the slot.
    const recipe = (name: string, body: string) => writeFileSync(path.join(fixture.dir, `recipes/${name}.yaml`), `name: ${name}\nversion: "1"\nsummary: s\nlicense: MIT\n${body}`);
    recipe('slow', 'build:\n  - [sleep, "0.4"]\ninstall:\n  - ["true"]\n');
    recipe('app', 'needs: [blob, slow]\nbuild:\n  - [sleep, "0.1"]\ninstall:\n  - ["true"]\n');
    const work = path.join(root, 'work');
    const args = ['--toolchain', fixture.dir, '--work', work, '--cache', path.join(root, 'cache'), '--jobs', '1'];

    const none = await runCli([...args, 'timeline']);
    expect(none.exitCode).toBe(1);
    expect(errorLines(none.stderr)).toEqual([`error: no build timeline at ${path.join(work, 'logs/timeline.json')}: run a build in this work directory first`]);

    const build = await runCli([...args, 'build']);
    expect(build.exitCode, build.stderr).toBe(0);
    const page = path.join(work, 'logs/timeline.html');
    expect(build.stdout.split('\n')).toContain(`timeline: ${page}`);
    expect(summaryOf(build.stdout)).toMatch(/^summary: ran 8 tasks/);
    const drawnByBuild = readFileSync(page, 'utf8');

    const drawn = await runCli([...args, 'timeline']);
    expect(drawn.exitCode, drawn.stderr).toBe(0);
    expect(drawn.stdout).toBe(page);
    expect(readFileSync(page, 'utf8')).toBe(drawnByBuild);

    const out = path.join(root, 'chart.svg');
    const svgRun = await runCli([...args, 'timeline', '--format', 'svg', '--out', out]);
    expect(svgRun.stdout).toBe(out);
    const svg = parseXml(readFileSync(out, 'utf8'));
    const recipes = JSON.parse(readFileSync(path.join(work, 'logs/timeline.json'), 'utf8')).recipes as string[];
    expect([...recipes].sort()).toEqual(['app', 'blob', 'slow']);
    expect(byClass(svg, 'row').map((row) => row.attributes.get('data-recipe'))).toEqual(recipes);
    expect(byClass(svg, 'task')).toHaveLength(8);
    // The run ended with app's install; the path to it runs through app's build.
    const critical = byClass(svg, 'critical').map((task) => task.attributes.get('data-task'));
    expect(critical.slice(-2)).toEqual(['app:build', 'app:install']);
    // The page holds the same chart, and the path as a table.
    const html = readFileSync(page, 'utf8');
    const inPage = parseXml(html.slice(html.indexOf('<svg'), html.indexOf('</svg>') + '</svg>'.length));
    expect(byClass(inPage, 'row')).toHaveLength(3);
    expect(html).toMatch(new RegExp(`<h2>Critical path: ${critical.length} tasks, `));

    // A build with nothing to do keeps the picture of the one that did something.
    const noop = await runCli([...args, 'build']);
    expect(noop.stdout).not.toContain('timeline:');
    expect(readFileSync(page, 'utf8')).toBe(drawnByBuild);
    expect(existsSync(`${page}.tmp-${process.pid}`)).toBe(false);
  });

  it('explains the chart in its help', async () => {
    const help = await runCli(['timeline', '--help']);
    expect(help.exitCode).toBe(0);
    expect(help.stdout).toContain('--format <format>');
    expect(help.stdout).toMatch(/critical path of this run/);
    expect(help.stdout).toContain('<work>/logs/timeline.json');
  });
});
