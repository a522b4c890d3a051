import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { asFileSystemError } from '../errors.js';
import type { BuildTimeline } from '../plan/timeline.js';
import { renderTimelineHtml, renderTimelineSvg } from '../ui/timeline.js';
import { WorkLayout } from '../workdir/layout.js';
import { TimelineFile } from '../workdir/timeline.js';
import type { GlobalOptions } from './context.js';

export const TIMELINE_FORMATS = ['html', 'svg'] as const;
export type TimelineFormat = (typeof TIMELINE_FORMATS)[number];

export interface TimelineCommandOptions extends GlobalOptions {
  readonly format?: TimelineFormat | undefined;
  readonly out?: string | undefined;
}

/** Draws `timeline` into `file` (whole or not at all: a browser open on it never sees half). */
export function writeTimelineChart(file: string, timeline: BuildTimeline, format: TimelineFormat): void {
  const text = format === 'svg' ? renderTimelineSvg(timeline) : renderTimelineHtml(timeline);
  const temp = `${file}.tmp-${process.pid}`;
  try {
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(temp, text);
    renameSync(temp, file);
  } catch (error) {
    throw asFileSystemError(error) ?? error;
  }
}

/**
 * Draws the last build run of a work directory from its `logs/timeline.json`. Needs no recipes:
 * the record holds everything the picture shows, so it can be drawn on another machine too.
 */
export async function timelineCommand(options: TimelineCommandOptions): Promise<number> {
  const layout = new WorkLayout(path.resolve(options.work ?? 'build'));
  const format = options.format ?? 'html';
  const timeline = new TimelineFile(layout.timeline).read();
  const file = options.out === undefined ? layout.timelineChart(format) : path.resolve(options.out);
  writeTimelineChart(file, timeline, format);
  process.stdout.write(`${file}\n`);
  return 0;
}
