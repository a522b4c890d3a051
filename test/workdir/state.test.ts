import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { WorkLayout } from '../../src/workdir/layout.js';
import { TaskState, formatStateJournal, parseStateJournal } from '../../src/workdir/state.js';
import { tempDir } from '../support/tmp.js';

const KEY = 'ab'.repeat(32);
const OTHER = 'cd'.repeat(32);

describe('the task state', () => {
  it('keeps the last key written for each task, forgets on request, and is read back by a new reader', async () => {
    const layout = new WorkLayout(await tempDir());
    const state = new TaskState(layout);
    expect(await state.read('gcc', 'build')).toBeUndefined();
    await state.write('gcc', 'configure', KEY);
    await state.write('gcc', 'build', KEY);
    await state.write('gcc', 'build', OTHER);
    await state.write('gcc', 'install', KEY);
    await state.forgetAfter('gcc', 'build');
    const again = new TaskState(layout);
    expect(await again.read('gcc', 'configure')).toBe(KEY);
    expect(await again.read('gcc', 'build')).toBe(OTHER);
    expect(await again.read('gcc', 'install')).toBeUndefined();
    await again.forgetRecipe('gcc');
    expect(await new TaskState(layout).read('gcc', 'configure')).toBeUndefined();
  });

  it('reads only whole, well-formed lines: a line cut short, or run into by the next, is no record', () => {
    const text = `gcc build ${KEY}\ngcc instgcc osabi ${OTHER}\nnewlib bogus ${KEY}\ngcc build -\nnewlib build ${KEY}\nnewlib install ${OTHER}`;
    const { keys, lines } = parseStateJournal(text);
    expect([...keys]).toEqual([['newlib:build', KEY]]);
    expect(lines).toBe(5);
    expect(parseStateJournal(formatStateJournal(keys)).keys).toEqual(keys);
  });

  it('is tidied by the lock holder: a cut line is ended, a long journal rewritten with what counts', async () => {
    const layout = new WorkLayout(await tempDir());
    mkdirSync(layout.stateRoot, { recursive: true });
    writeFileSync(layout.stateJournal, `gcc build ${KEY}\ngcc inst`);
    new TaskState(layout).tidy();
    expect(readFileSync(layout.stateJournal, 'utf8')).toBe(`gcc build ${KEY}\n`);
    const state = new TaskState(layout);
    for (let i = 0; i < 1200; i++) await state.write('gcc', 'install', i % 2 ? KEY : OTHER);
    new TaskState(layout).tidy();
    // The last write (i = 1199) wins.
    expect(readFileSync(layout.stateJournal, 'utf8')).toBe(`gcc build ${KEY}\ngcc install ${KEY}\n`);
  });

  it('takes over the file per task of older work directories, once', async () => {
    const layout = new WorkLayout(await tempDir());
    mkdirSync(layout.stateDir('gcc'), { recursive: true });
    writeFileSync(layout.legacyState('gcc', 'build'), `${KEY}\n`);
    writeFileSync(path.join(layout.stateDir('gcc'), 'source'), 'not a key: another record');
    expect(await new TaskState(layout).read('gcc', 'build')).toBe(KEY);
    const state = new TaskState(layout);
    state.tidy();
    expect(existsSync(layout.legacyState('gcc', 'build'))).toBe(false);
    expect(existsSync(path.join(layout.stateDir('gcc'), 'source'))).toBe(true);
    expect(await new TaskState(layout).read('gcc', 'build')).toBe(KEY);
  });
});
