import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { TimelineFile, TimelineFileError } from '../../src/workdir/timeline.js';
import { timed, timelineOf } from '../support/timelines.js';
import { tempDir } from '../support/tmp.js';

describe('the timeline file', () => {
  it('reads back what was written, whole, with a format number and no temporary file left', async () => {
    const dir = await tempDir();
    const file = new TimelineFile(path.join(dir, 'logs/timeline.json'));
    const timeline = timelineOf([timed('a:build', [], { ready: 0, asked: 0.1, start: 0.2, end: 1 }), { id: 'a:install', recipe: 'a', kind: 'install', deps: ['a:build'], weight: 1, status: 'not-started' }], { outcome: 'cancelled' });
    file.write(timeline);
    expect(file.read()).toEqual(timeline);
    expect(JSON.parse(readFileSync(file.file, 'utf8')).format).toBe(1);
    expect(readdirSync(path.join(dir, 'logs'))).toEqual(['timeline.json']);
  });

  it('says to run a build when there is none, and when what is there is not a timeline', async () => {
    const dir = await tempDir();
    const file = new TimelineFile(path.join(dir, 'timeline.json'));
    expect(() => file.read()).toThrow(new TimelineFileError(`no build timeline at ${file.file}: run a build in this work directory first`));
    writeFileSync(file.file, '{"format": 1, "tasks": [');
    expect(() => file.read()).toThrow(/is not JSON: run a build to write it again$/);
    writeFileSync(file.file, JSON.stringify({ ...timelineOf([]), format: 2 }));
    expect(() => file.read()).toThrow(/is not a build timeline \(format: .*\): run a build to write it again$/);
    try {
      file.read();
    } catch (error) {
      expect((error as TimelineFileError).cause).toBeDefined();
    }
  });
});
