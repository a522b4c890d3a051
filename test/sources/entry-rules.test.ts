import { describe, expect, it } from 'vitest';
import { EntryGuard, UnsafeArchive, type EntryNames } from '../../src/sources/entry-rules.js';

const file = (...names: [string, ...string[]]): EntryNames => ({ kind: 'file', names });
const symlink = (name: string, target: string): EntryNames => ({ kind: 'symlink', names: [name], links: [target] });
const hardlink = (name: string, target: string): EntryNames => ({ kind: 'hardlink', names: [name], links: [target] });

/** The verdict's message after checking `entries` in order, or undefined when the archive is safe. */
function refusal(entries: readonly EntryNames[]): string | undefined {
  const guard = new EntryGuard();
  for (const entry of entries) guard.check(entry);
  try {
    guard.verdict('/cache/x.tar.xz');
    return undefined;
  } catch (error) {
    expect(error).toBeInstanceOf(UnsafeArchive);
    return (error as Error).message;
  }
}

describe('entry rules', () => {
  it('gives the path inside the folder of what may be written', () => {
    const guard = new EntryGuard();
    expect(guard.check(file('./top/a.c'))).toBe('top/a.c');
    expect(guard.check({ kind: 'directory', names: ['top/sub/'] })).toBe('top/sub');
    expect(guard.check(symlink('top/l', '../top/a.c'))).toBe('top/l');
    expect(guard.check(hardlink('top/h', 'top/a.c'))).toBe('top/h');
    expect(guard.refused).toBe(false);
  });

  it('makes every name relative the same way, however plain it is', () => {
    const cases: Array<[string, string | undefined]> = [
      ['a/b.c', 'a/b.c'],
      ['./a', 'a'],
      ['././a/./b', 'a/b'],
      ['a//b/', 'a/b'],
      ['.', ''],
      ['./', ''],
      ['.hidden/x', '.hidden/x'],
      ['a/.b/...', 'a/.b/...'],
      ['a/..b', 'a/..b'],
      ['a\\b', 'a/b'],
      ['/abs', undefined],
      ['C:/x', undefined],
      ['..', undefined],
      ['a/../b', undefined],
    ];
    for (const [name, relative] of cases) expect([name, new EntryGuard().check(file(name))]).toEqual([name, relative]);
  });

  it.each<[string, EntryNames[], string]>([
    ['an absolute path', [file('/etc/passwd')], '/etc/passwd: absolute path'],
    ['a parent-folder path', [file('top/../../x')], 'top/../../x: path leaves the source folder'],
    ['any of its names leaving the folder', [file('top/ok', '../evil')], '../evil: path leaves the source folder'],
    ['a write through a symlink it made', [symlink('top/l', '.'), file('top/l/x')], 'top/l/x: would be written through the symlink top/l'],
    ['a symlink out', [symlink('top/l', '../../x')], 'top/l: links to ../../x, outside the source folder'],
    ['an absolute symlink', [symlink('top/l', '/etc')], 'top/l: links to /etc, outside the source folder'],
    ['a hard link out', [hardlink('top/h', '../x')], 'top/h: links to ../x, outside the source folder'],
    ['a path stepping up even inside the folder', [file('top/a/../b')], 'top/a/../b: a path through ".."'],
    ['a hard link stepping up', [hardlink('top/h', 'top/a/../b')], 'top/h: links to top/a/../b, a path through ".."'],
    // a/b -> .. is a; a/c -> b/.. is then a/.., the folder's parent: a hard link resolves both.
    ['a hard link through a chain of symlinks', [symlink('a/b', '..'), symlink('a/c', 'b/..'), hardlink('h', 'a/c/outside')], 'h: links to a/c/outside, through the symlink a/c'],
  ])('refuses %s', (_what, entries, problem) => {
    expect(refusal(entries)).toBe(`refusing x.tar.xz: 1 unsafe entry: ${problem}`);
  });

  it('counts every refusal and shows the first five', () => {
    const message = refusal(Array.from({ length: 7 }, (_, i) => file(`/abs${i}`)));
    expect(message).toMatch(/^refusing x\.tar\.xz: 7 unsafe entries: \/abs0: absolute path; .*\/abs4: absolute path$/);
    expect(message).not.toContain('abs5');
  });

  it('drops what is not a file, folder or link, and a hard link to it', () => {
    const guard = new EntryGuard();
    expect(guard.check({ kind: 'other', names: ['top/fifo'], what: 'a FIFO' })).toBeUndefined();
    expect(guard.check({ kind: 'other', names: ['top/old'] })).toBeUndefined();
    expect(guard.check(hardlink('top/again', 'top/fifo'))).toBeUndefined();
    expect(guard.refused).toBe(false);
    expect(guard.dropped).toEqual(['dropped top/fifo: a FIFO', 'dropped top/old: not a file, folder or link', 'dropped top/again: a hard link to top/fifo, which was dropped']);
    // An unsafe name is refused before anything is dropped.
    expect(guard.check({ kind: 'other', names: ['/dev/x'] })).toBeUndefined();
    expect(guard.refused).toBe(true);
  });

  it('skips a file listed again as a hard link to itself', () => {
    const guard = new EntryGuard();
    expect(guard.check(file('top/a'))).toBe('top/a');
    expect(guard.check(hardlink('top/a', './top/a'))).toBeUndefined();
    expect(guard.refused).toBe(false);
    expect(guard.dropped).toEqual([]);
  });
});
