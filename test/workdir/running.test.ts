import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { groupMembers } from '../../src/process/proc.js';
import { WorkLayout } from '../../src/workdir/layout.js';
import { endedLines, endLeftOverSteps, lockWorkDir, parseStepRecord, stepRecorder } from '../../src/workdir/running.js';
import { startGroup } from '../support/process-group.js';
import { tempDir } from '../support/tmp.js';

describe('the steps running in a work directory', () => {
  it('are recorded from their start until they exit', async () => {
    const layout = new WorkLayout(await tempDir());
    const pgid = (await startGroup('sleep 60 & wait')).pgid;
    const recorder = stepRecorder(layout, 'blob:install');
    recorder.started(pgid);
    const record = parseStepRecord(pgid, readFileSync(layout.runningStep(pgid), 'utf8'));
    expect(record).toMatchObject({ pgid, run: process.pid, task: 'blob:install' });
    recorder.ended(pgid);
    expect(existsSync(layout.runningStep(pgid))).toBe(false);
  });

  it('left by a killed run are ended by the next one, which says so, and every record goes', async () => {
    const layout = new WorkLayout(await tempDir());
    const first = (await startGroup('sleep 60 & wait')).pgid;
    const second = (await startGroup('sleep 60 & wait')).pgid;
    stepRecorder(layout, 'b:build').started(first);
    stepRecorder(layout, 'a:build').started(second);
    // The record of a step that ended after the kill, and one cut short.
    writeFileSync(layout.runningStep(999_999_999), JSON.stringify({ start: '1', run: 5, task: 'c:build' }));
    writeFileSync(layout.runningStep(999_999_998), '{"start": "1", ');
    const said: string[] = [];
    const unlock = await lockWorkDir(layout, (line) => said.push(line), 1000);
    try {
      expect(said).toEqual([`ended 2 steps left running by a killed run (pid ${process.pid}): a:build, b:build`]);
      expect(groupMembers(first)).toEqual([]);
      expect(groupMembers(second)).toEqual([]);
      expect(existsSync(layout.runningSteps)).toBe(false);
    } finally {
      await unlock();
    }
  });

  it('cost nothing to check when there are none', async () => {
    const layout = new WorkLayout(await tempDir());
    expect(await endLeftOverSteps(layout)).toEqual([]);
    mkdirSync(layout.runningSteps);
    expect(await endLeftOverSteps(layout)).toEqual([]);
  });

  it('say one line per killed run', () => {
    const step = (run: number, task: string) => ({ pgid: 1, start: '1', run, task });
    expect(endedLines([step(7, 'x:build'), step(8, 'y:install'), step(7, 'w:configure')])).toEqual([
      'ended 2 steps left running by a killed run (pid 7): w:configure, x:build',
      'ended 1 step left running by a killed run (pid 8): y:install',
    ]);
  });

  it('are read from records checked as they are read', () => {
    expect(parseStepRecord(3, '{"start":"12","run":4,"task":"a:b"}')).toEqual({ pgid: 3, start: '12', run: 4, task: 'a:b' });
    for (const text of ['', 'null', '[]', '{"start":12,"run":4,"task":"a:b"}', '{"start":"12","run":"4","task":"a:b"}', '{"start":"12","run":4}']) {
      expect(parseStepRecord(3, text)).toBeUndefined();
    }
  });
});
