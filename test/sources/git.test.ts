import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { GitError, exportGit, fetchGit, gitCached, resolveSubmoduleUrl } from '../../src/sources/git.js';
import { commitFiles, git } from '../support/git.js';
import { tempDir } from '../support/tmp.js';

describe('git sources', () => {
  it('mirrors a pinned commit with its submodule at the recorded commit and exports the tree', async () => {
    const root = await tempDir();
    const lwipPinned = commitFiles(path.join(root, 'lwip'), { 'src/core/tcp.c': 'pinned\n' });
    const kernel = path.join(root, 'kernel');
    commitFiles(kernel, { 'kernel.c': 'int main;\n' });
    git(kernel, 'submodule', 'add', '-q', '../lwip', 'lwip');
    git(kernel, 'commit', '-q', '-m', 'add lwip');
    const kernelCommit = git(kernel, 'rev-parse', 'HEAD');
    // Upstream moves on after the pin: the export must still show the pinned files.
    commitFiles(path.join(root, 'lwip'), { 'src/core/tcp.c': 'newer\n' });
    commitFiles(kernel, { 'kernel.c': 'newer\n' });

    const cache = path.join(root, 'cache');
    const pin = { url: kernel, commit: kernelCommit, submodules: true };
    expect(await gitCached(cache, pin)).toBe(false);
    const lines: string[] = [];
    await fetchGit(cache, pin, { offline: false, premirrors: [], log: (l) => lines.push(l) });
    expect(lines).toContain(`submodule lwip pinned at ${lwipPinned}`);
    expect(await gitCached(cache, pin)).toBe(true);

    const dest = path.join(root, 'src');
    await exportGit(cache, pin, dest);
    expect(readFileSync(path.join(dest, 'kernel.c'), 'utf8')).toBe('int main;\n');
    expect(readFileSync(path.join(dest, 'lwip/src/core/tcp.c'), 'utf8')).toBe('pinned\n');
    expect(existsSync(path.join(dest, '.git'))).toBe(false);

    // The mirror serves later runs without the upstream repository.
    await fetchGit(cache, pin, { offline: true, premirrors: [], log: () => {} });
  });

  it('says when a commit does not exist, and when offline lacks it', async () => {
    const root = await tempDir();
    const repo = path.join(root, 'repo');
    commitFiles(repo, { a: 'a' });
    const cache = path.join(root, 'cache');
    const missing = { url: repo, commit: 'f'.repeat(40), submodules: false };
    await expect(fetchGit(cache, missing, { offline: false, premirrors: [], log: () => {} })).rejects.toThrow(GitError);
    await expect(fetchGit(cache, missing, { offline: true, premirrors: [], log: () => {} })).rejects.toThrow(/is not in the cache \(offline\)/);
  });

  it('tries a premirror before upstream', async () => {
    const root = await tempDir();
    const commit = commitFiles(path.join(root, 'mirrors/LwIP.git'), { a: 'from the premirror' });
    const cache = path.join(root, 'cache');
    const lines: string[] = [];
    const pin = { url: 'https://github.invalid/hermitcore/LwIP.git', commit, submodules: false };
    await fetchGit(cache, pin, { offline: false, premirrors: [path.join(root, 'mirrors')], log: (l) => lines.push(l) });
    expect(lines[0]).toContain(path.join(root, 'mirrors/LwIP.git'));
    await exportGit(cache, pin, path.join(root, 'src'));
    expect(readFileSync(path.join(root, 'src/a'), 'utf8')).toBe('from the premirror');
  });

  it('resolves relative submodule URLs against the superproject', () => {
    expect(resolveSubmoduleUrl('https://github.com/hermitcore/libhermit.git', '../LwIP.git')).toBe('https://github.com/hermitcore/LwIP.git');
    expect(resolveSubmoduleUrl('/srv/git/kernel', '../lwip')).toBe('/srv/git/lwip');
    expect(resolveSubmoduleUrl('/srv/git/kernel', 'https://x.org/y.git')).toBe('https://x.org/y.git');
  });
});
