import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { groupMembers, procStat } from '../../src/process/proc.js';
import { WorkLayout } from '../../src/workdir/layout.js';
import { StepJournal, endedLines, endLeftOverSteps, lockWorkDir, parseJournal } from '../../src/workdir/running.js';
import { startGroup } from '../support/process-group.js';
import { tempDir } from '../support/tmp.js';

describe('the steps running in a work directory', () => {
  it('are recorded from their start until they exit, and the journal goes with the run that kept it', async () => {
    const layout = new WorkLayout(await tempDir());
    const pgid = (await startGroup('sleep 60 & wait')).pgid;
    const journal = new StepJournal(layout);
    const recorder = journal.recorder('blob:install');
    const file = layout.runningJournal(process.pid);
    recorder.started(pgid, undefined);
    expect(parseJournal(process.pid, readFileSync(file, 'utf8'))).toEqual([expect.objectContaining({ pgid, run: process.pid, task: 'blob:install' })]);
    recorder.ended(pgid);
    // Written once what the step's end lets start has started.
    await new Promise(setImmediate);
    expect(parseJournal(process.pid, readFileSync(file, 'utf8'))).toEqual([]);
    journal.close();
    expect(existsSync(file)).toBe(false);
  });

  it('left by a killed run are ended by the next one, which says so, and every journal goes', async () => {
    const layout = new WorkLayout(await tempDir());
    const first = (await startGroup('sleep 60 & wait')).pgid;
    const second = (await startGroup('sleep 60 & wait')).pgid;
    const journal = new StepJournal(layout);
    journal.recorder('b:build').started(first, undefined);
    journal.recorder('a:build').started(second, procStat(second)!.start);
    // A journal left open with a step still running keeps it for the next run.
    journal.close();
    // Another run's: a step that ended after the kill, and a line cut short.
    writeFileSync(layout.runningJournal(5), 'start 999999999 1 c:build\nstart 999999998 1 d:bu');
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

  it('are read from whole lines: a step is open from its start line until its end line', () => {
    const text = 'start 3 12 a:build\nstart 4 13 b:install\nend 3\nstart 5 14 c:conf\nnonsense\nstart 6 15 d:build';
    expect(parseJournal(9, text)).toEqual([
      { pgid: 4, start: '13', run: 9, task: 'b:install' },
      { pgid: 5, start: '14', run: 9, task: 'c:conf' },
    ]);
    expect(parseJournal(9, '')).toEqual([]);
  });
});
