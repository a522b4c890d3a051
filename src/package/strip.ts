import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { HermitError } from '../errors.js';
import { runCaptured } from '../process/run.js';
import { isSharedLibraryName } from './classify.js';
import { debugCheckSpans, hasDebugOrSymbols } from '../formats/elf-dynamic.js';
import { withSparseFile } from '../sparse-file.js';

export class StripError extends HermitError {}

/**
 * Strips a host binary the way dh_strip does: shared objects lose everything not needed for
 * dynamic linking, programs their symbol tables and debug sections; both lose .comment and
 * .note. The input, its contents or a file, stays as it is (images are hard-linked into other
 * recipes' stages and must not change): strip writes a new file, and only that is read.
 */
export async function stripHostBinary(contents: Uint8Array | string, name: string): Promise<Buffer> {
  const sharedLibrary = isSharedLibraryName(name);
  const dir = await mkdtemp(path.join(os.tmpdir(), 'ht-strip-'));
  try {
    const input = typeof contents === 'string' ? contents : path.join(dir, 'in');
    const output = path.join(dir, 'out');
    if (typeof contents !== 'string') await writeFile(input, contents);
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

/** hasDebugOrSymbols of a file, reading only its ELF header, section headers and section names. */
export async function fileHasDebugOrSymbols(file: string): Promise<boolean> {
  return withSparseFile(file, async ({ bytes, size, read }) => {
    await read(0, Math.min(64, size));
    // Each span read can say where the next is (the table, then the names in it).
    for (let more = true; more; ) {
      more = false;
      for (const span of debugCheckSpans(bytes)) if (await read(span.offset, span.length)) more = true;
    }
    return hasDebugOrSymbols(bytes);
  });
}
