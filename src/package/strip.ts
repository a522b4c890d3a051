import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { HermitError } from '../errors.js';
import { runCaptured } from '../process/run.js';
import { isSharedLibraryName } from './classify.js';

export class StripError extends HermitError {}

/**
 * Strips a host binary the way dh_strip does: shared objects lose everything not needed for
 * dynamic linking, programs their symbol tables and debug sections; both lose .comment and
 * .note. Works on a copy: images are hard-linked into other recipes' stages and must not change.
 */
export async function stripHostBinary(contents: Uint8Array, name: string): Promise<Buffer> {
  const sharedLibrary = isSharedLibraryName(name);
  const dir = await mkdtemp(path.join(os.tmpdir(), 'ht-strip-'));
  try {
    const input = path.join(dir, 'in');
    const output = path.join(dir, 'out');
    await writeFile(input, contents);
    const args = ['--remove-section=.comment', '--remove-section=.note', ...(sharedLibrary ? ['--strip-unneeded'] : []), '-o', output, input];
    const result = await runCaptured(['strip', ...args]);
    if (result.exitCode !== 0) {
      const why = result.exitCode === 127 ? 'strip is not installed (Debian package binutils)' : result.stderr.trim();
      throw new StripError(`cannot strip ${name}: ${why}`);
    }
    return await readFile(output);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
