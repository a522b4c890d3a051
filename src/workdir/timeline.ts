import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { UserError } from '../errors.js';
import { TASK_KINDS } from '../plan/plan.js';
import { TIMELINE_STATUSES, type BuildTimeline } from '../plan/timeline.js';

const FORMAT = 1;

const ms = z.number().nonnegative();
const timelineSchema = z.object({
  format: z.literal(FORMAT),
  startedAt: z.string(),
  endMs: ms,
  scheduleMs: ms,
  jobs: z.number().int().positive(),
  outcome: z.enum(['succeeded', 'failed', 'cancelled']),
  recipes: z.array(z.string()),
  tasks: z.array(
    z.object({
      id: z.string(),
      recipe: z.string(),
      kind: z.enum(TASK_KINDS),
      deps: z.array(z.string()),
      weight: z.union([z.literal(0), z.literal(1)]),
      status: z.enum(TIMELINE_STATUSES),
      readyMs: ms.optional(),
      askedMs: ms.optional(),
      startMs: ms.optional(),
      endMs: ms.optional(),
    }),
  ),
});

/** The timeline file is missing or is not one (an older format, a hand edit). */
export class TimelineFileError extends UserError {}

/**
 * The last build run's timeline (`<work>/logs/timeline.json`, beside the logs it explains): when
 * each task was ready, got its slot, started and ended. The engine writes it once a run ends,
 * however it ends; `timeline` draws it.
 */
export class TimelineFile {
  constructor(readonly file: string) {}

  write(timeline: BuildTimeline): void {
    mkdirSync(path.dirname(this.file), { recursive: true });
    // Whole or not at all: a reader never sees half a run.
    const temp = `${this.file}.tmp-${process.pid}`;
    writeFileSync(temp, `${JSON.stringify({ format: FORMAT, ...timeline })}\n`);
    renameSync(temp, this.file);
  }

  read(): BuildTimeline {
    let text: string;
    try {
      text = readFileSync(this.file, 'utf8');
    } catch (error) {
      const missing = (error as NodeJS.ErrnoException).code === 'ENOENT';
      throw new TimelineFileError(missing ? `no build timeline at ${this.file}: run a build in this work directory first` : `cannot read ${this.file}`, { cause: error });
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (error) {
      throw new TimelineFileError(`${this.file} is not JSON: run a build to write it again`, { cause: error });
    }
    const parsed = timelineSchema.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw new TimelineFileError(`${this.file} is not a build timeline (${issue.path.join('.') || 'top'}: ${issue.message}): run a build to write it again`, { cause: parsed.error });
    }
    const { format: _format, ...timeline } = parsed.data;
    return timeline;
  }
}
