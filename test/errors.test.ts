import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FileSystemError, UserError, asFileSystemError } from '../src/errors.js';
import { tempDir } from './support/tmp.js';

async function failure(action: () => Promise<unknown>): Promise<unknown> {
  return action().then(
    () => undefined,
    (error: unknown) => error,
  );
}

describe('file-system errors', () => {
  it('become one line naming the path, with exit code 1 and the original as cause', async () => {
    const dir = await tempDir();
    const file = path.join(dir, 'file');
    await writeFile(file, '');
    const cause = await failure(() => mkdir(file, { recursive: true }));
    const error = asFileSystemError(cause);
    expect(error).toBeInstanceOf(FileSystemError);
    expect(error).toBeInstanceOf(UserError);
    expect(error).toMatchObject({ message: `${file}: exists and is not a folder (EEXIST)`, exitCode: 1, path: file, code: 'EEXIST', cause });
    const missing = asFileSystemError(await failure(() => writeFile(path.join(dir, 'none', 'x'), '')));
    expect(missing?.message).toBe(`${path.join(dir, 'none', 'x')}: cannot open: no such file or directory (ENOENT)`);
  });

  it('leave everything else alone', () => {
    expect(asFileSystemError(new Error('a bug'))).toBeUndefined();
    expect(asFileSystemError(Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC', syscall: 'write' }))).toBeUndefined();
    expect(asFileSystemError('a string')).toBeUndefined();
  });
});
