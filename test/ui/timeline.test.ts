import { describe, expect, it } from 'vitest';
import { runCriticalPath } from '../../src/plan/timeline.js';
import { clockLabel, renderTimelineHtml, renderTimelineSvg, taskTitle } from '../../src/ui/timeline.js';
import { hourLongTimeline, timed, timelineOf } from '../support/timelines.js';
import { findAll, hasClass, parseXml, type XmlElement } from '../support/xml.js';

const byClass = (root: XmlElement, name: string): XmlElement[] => findAll(root, (element) => hasClass(element, name));
const titleOf = (element: XmlElement): string => element.children.find((child) => child.name === 'title')?.text ?? '';

describe('the time axis', () => {
  it('counts minutes and seconds, hours past the first, and tenths when the ticks are that fine', () => {
    expect(clockLabel(0)).toBe('0:00');
    expect(clockLabel(754_000)).toBe('12:34');
    expect(clockLabel(3_900_000)).toBe('1:05:00');
    expect(clockLabel(1_500, 500)).toBe('0:01.5');
    expect(clockLabel(61_250, 100)).toBe('1:01.3');
  });
});

describe('the chart of a build run', () => {
  it('is one well-formed SVG document with a row per recipe, a bar per task that did something and the critical path marked', () => {
    const timeline = hourLongTimeline();
    const svg = parseXml(renderTimelineSvg(timeline));
    expect(svg.name).toBe('svg');
    expect(svg.attributes.get('xmlns')).toBe('http://www.w3.org/2000/svg');
    expect(byClass(svg, 'row').map((row) => row.attributes.get('data-recipe'))).toEqual(timeline.recipes);
    expect(byClass(svg, 'task')).toHaveLength(80);
    const critical = byClass(svg, 'critical').map((task) => task.attributes.get('data-task'));
    expect(critical).toEqual(runCriticalPath(timeline).map((link) => link.task.id));
    // The chain through every recipe's configure, build, install and osabi, ending at the last package.
    expect(critical.at(-1)).toBe('recipe-9:package');
    expect(critical).toContain('recipe-0:build');
    // Every build waited for a slot: its wait is drawn before its bar.
    expect(findAll(svg, (element) => hasClass(element, 'wait')).length).toBeGreaterThanOrEqual(10);
  });

  it('labels an hour in minutes and a two-second build in tenths of a second', () => {
    const axisLabels = (svg: string): string[] => byClass(parseXml(svg), 'axis')[0]!.children.filter((child) => child.name === 'text').map((text) => text.text);
    const hour = axisLabels(renderTimelineSvg(hourLongTimeline()));
    expect(hour[0]).toBe('0:00');
    expect(hour).toContain('10:00');
    expect(hour.length).toBeLessThanOrEqual(13);
    const quick = axisLabels(renderTimelineSvg(timelineOf([timed('a:build', [], { start: 0, end: 1.2 }), timed('a:install', ['a:build'], { start: 1.25, end: 2 })])));
    expect(quick).toEqual(['0:00.0', '0:00.2', '0:00.4', '0:00.6', '0:00.8', '0:01.0', '0:01.2', '0:01.4', '0:01.6', '0:01.8', '0:02.0']);
  });

  it('gives every bar a hover title with its times, its wait and why it is on the path', () => {
    const timeline = timelineOf([
      timed('a:build', [], { start: 0, end: 6 }),
      timed('b:fetch', [], { start: 0, end: 1 }, { weight: 0 }),
      timed('b:build', ['b:fetch'], { ready: 1, asked: 1.5, start: 6, end: 9 }),
    ]);
    const bars = byClass(parseXml(renderTimelineSvg(timeline)), 'task');
    const title = titleOf(bars.find((bar) => bar.attributes.get('data-task') === 'b:build')!);
    expect(title).toBe(
      [
        'b:build: ran, on the critical path',
        'took 3.0s, from 0:06.0 to 0:09.0',
        'waited 5.0s after it was ready at 0:01.0 (500ms queued and checked, 4.5s for a job slot)',
        'held up by a job slot: the task before it on the path gave it back',
        'after b:fetch',
      ].join('\n'),
    );
    expect(taskTitle({ id: 'c:fetch', recipe: 'c', kind: 'fetch', deps: [], weight: 0, status: 'skipped', readyMs: 0, startMs: 0, endMs: 4 })).toBe('c:fetch: skipped (up to date)\nchecked in 4ms, from 0:00.0 to 0:00.0');
  });

  it('draws failed, skipped and restored tasks apart, and names in a row what has no bar', () => {
    const timeline = timelineOf([
      timed('a:install', [], { start: 0, end: 2 }, { status: 'restored', readyMs: undefined, askedMs: undefined }),
      timed('b:build', [], { start: 0, end: 0.01 }, { status: 'skipped', askedMs: undefined }),
      timed('b:install', ['b:build'], { start: 0.01, end: 3 }, { status: 'failed' }),
      { id: 'b:package', recipe: 'b', kind: 'package', deps: ['b:install'], weight: 1, status: 'not-started' },
      { id: 'a:fetch', recipe: 'a', kind: 'fetch', deps: [], weight: 0, status: 'left-out' },
    ], { outcome: 'failed' });
    const svg = parseXml(renderTimelineSvg(timeline));
    expect(byClass(svg, 'task').map((task) => task.attributes.get('class'))).toEqual(['task restored', 'task skipped critical', 'task failed critical']);
    const rows = byClass(svg, 'row');
    expect(rows.map((row) => row.text)).toEqual([expect.stringContaining('fetch left out'), expect.stringContaining('package not started')]);
    expect(svg.children.find((child) => child.name === 'title')!.text).toMatch(/^build failed in 3\.0s with -j 2, started 2024-05-01 10:00:00 UTC: 1 failed, 1 skipped, 1 restored, 1 left out, 1 not started$/);
  });

  it('escapes what it is given, however a recipe is named', () => {
    const svg = renderTimelineSvg(timelineOf([timed('a<&>"\':build', [], { start: 0, end: 1 })]));
    expect(byClass(parseXml(svg), 'row')[0]!.attributes.get('data-recipe')).toBe('a<&>"\'');
  });

  it('is a page that needs nothing else: no script, stylesheet, font or image to fetch', () => {
    const html = renderTimelineHtml(hourLongTimeline());
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    const svg = html.slice(html.indexOf('<svg'), html.indexOf('</svg>') + '</svg>'.length);
    expect(byClass(parseXml(svg), 'row')).toHaveLength(10);
    expect(html).not.toMatch(/<script|<link|<img|@import|url\((?!#)/i);
    expect(html.replaceAll('http://www.w3.org/2000/svg', '')).not.toMatch(/https?:/);
    expect(html).toContain('Critical path: ');
    expect(html).toContain('<h2>Longest waits</h2>');
  });
});
