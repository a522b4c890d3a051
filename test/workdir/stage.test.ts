import { lstatSync, mkdirSync, readFileSync, readlinkSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildStage } from '../../src/workdir/stage.js';
import { tempDir } from '../support/tmp.js';

function put(root: string, file: string, text: string): void {
  mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
  writeFileSync(path.join(root, file), text);
}

describe('the stage', () => {
  it('is the union of the images, later ones winning, hard-linked', async () => {
    const dir = await tempDir();
    const a = path.join(dir, 'a');
    const b = path.join(dir, 'b');
    put(a, 'opt/hermit/bin/as', 'as');
    put(a, 'opt/hermit/share/x', 'from a');
    put(b, 'opt/hermit/bin/gcc', 'gcc');
    put(b, 'opt/hermit/share/x', 'from b');
    symlinkSync('gcc', path.join(b, 'opt/hermit/bin/cc'));
    const stage = path.join(dir, 'stage');
    put(stage, 'stale', 'left from before');
    await buildStage(stage, [a, b, path.join(dir, 'no-image')]);
    expect(readFileSync(path.join(stage, 'opt/hermit/share/x'), 'utf8')).toBe('from b');
    expect(statSync(path.join(stage, 'opt/hermit/bin/as')).ino).toBe(statSync(path.join(a, 'opt/hermit/bin/as')).ino);
    expect(lstatSync(path.join(stage, 'opt/hermit/bin/cc')).isSymbolicLink()).toBe(true);
    expect(readlinkSync(path.join(stage, 'opt/hermit/bin/cc'))).toBe('gcc');
    expect(() => statSync(path.join(stage, 'stale'))).toThrow();
  });

  it('is not there when the images hold nothing, and a stale one is gone', async () => {
    const dir = await tempDir();
    const empty = path.join(dir, 'empty');
    mkdirSync(empty);
    const stage = path.join(dir, 'stage');
    put(stage, 'stale', 'left from before');
    await buildStage(stage, [empty, path.join(dir, 'no-image')]);
    expect(lstatSync(stage, { throwIfNoEntry: false })).toBeUndefined();
  });

  it('remembers the images it found empty, and reads them no more', async () => {
    const dir = await tempDir();
    const [empty, full] = [path.join(dir, 'empty'), path.join(dir, 'full')];
    mkdirSync(empty);
    put(full, 'bin/tool', 'x');
    const known = new Set<string>();
    await buildStage(path.join(dir, 'stage'), [empty, path.join(dir, 'no-image'), full], known);
    expect([...known].sort()).toEqual([empty, path.join(dir, 'no-image')]);
    // Known empty, so not read again (what a build relies on: an image is done before it is staged).
    put(empty, 'late', 'not staged');
    await buildStage(path.join(dir, 'stage2'), [empty], known);
    expect(lstatSync(path.join(dir, 'stage2'), { throwIfNoEntry: false })).toBeUndefined();
  });
});
