import { chmodSync, mkdirSync, readdirSync, readlinkSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CompilerCache } from '../../src/cache/ccache.js';
import { tempDir } from '../support/tmp.js';

function executable(file: string): void {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, '#!/bin/sh\n');
  chmodSync(file, 0o755);
}

describe('CompilerCache', () => {
  it('links only the compilers that exist on the PATH at that moment, ccache links excluded', async () => {
    const root = await tempDir();
    const ccache = path.join(root, 'usr/bin/ccache');
    executable(ccache);
    executable(path.join(root, 'usr/bin/gcc'));
    executable(path.join(root, 'usr/bin/cc'));
    // Debian's /usr/lib/ccache: links to ccache that are not compilers.
    mkdirSync(path.join(root, 'usr/lib/ccache'), { recursive: true });
    symlinkSync(ccache, path.join(root, 'usr/lib/ccache/g++'));
    const stageBin = path.join(root, 'stage/opt/hermit/bin');
    executable(path.join(stageBin, 'x86_64-hermit-gcc'));
    writeFileSync(path.join(stageBin, 'x86_64-hermit-g++'), 'not executable');

    const cache = new CompilerCache({
      ccache,
      dir: path.join(root, 'cache/ccache'),
      baseDir: path.join(root, 'work'),
      wrapperRoot: path.join(root, 'work/ccache-bin'),
      target: 'x86_64-hermit',
      remoteStorage: 'http://ccache.example/',
    });
    const searchPath = [stageBin, path.join(root, 'usr/lib/ccache'), path.join(root, 'usr/bin')].join(':');
    const env = await cache.environment('newlib', { PATH: searchPath, HOME: '/root' });
    const wrappers = path.join(root, 'work/ccache-bin/newlib');
    expect(readdirSync(wrappers).sort()).toEqual(['cc', 'gcc', 'x86_64-hermit-gcc']);
    expect(readlinkSync(path.join(wrappers, 'x86_64-hermit-gcc'))).toBe(ccache);
    expect(env).toEqual({
      HOME: '/root',
      PATH: `${wrappers}:${searchPath}`,
      CCACHE_DIR: path.join(root, 'cache/ccache'),
      CCACHE_BASEDIR: path.join(root, 'work'),
      CCACHE_REMOTE_STORAGE: 'http://ccache.example/',
    });

    // The environment's own remote storage wins; a compiler gone since is no longer linked.
    const again = await cache.environment('newlib', { PATH: path.join(root, 'usr/bin'), CCACHE_REMOTE_STORAGE: 'file:/shared' });
    expect(again.CCACHE_REMOTE_STORAGE).toBe('file:/shared');
    expect(readdirSync(wrappers).sort()).toEqual(['cc', 'gcc']);
  });
});
