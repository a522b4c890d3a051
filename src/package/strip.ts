import { HermitError } from '../errors.js';
import { runCaptured } from '../process/run.js';
import { isSharedLibraryName } from './classify.js';
import { debugCheckSpans, hasDebugOrSymbols } from '../formats/elf-dynamic.js';
import { withSparseFile } from '../sparse-file.js';

export class StripError extends HermitError {}

/**
 * Strips a host binary the way dh_strip does: shared objects lose everything not needed for
 * dynamic linking, programs their symbol tables and debug sections; both lose .comment and
 * .note. The input stays as it is (images are hard-linked into other recipes' stages and must
 * not change): strip writes the stripped copy to `output`, for the package to stream from.
 */
export async function stripHostBinary(input: string, name: string, output: string): Promise<void> {
  const sharedLibrary = isSharedLibraryName(name);
  const args = ['--remove-section=.comment', '--remove-section=.note', ...(sharedLibrary ? ['--strip-unneeded'] : []), '-o', output, input];
  const result = await runCaptured(['strip', ...args]);
  if (result.exitCode !== 0) {
    const why = result.exitCode === 127 ? 'strip is not installed (Debian package binutils)' : result.stderr.trim();
    throw new StripError(`cannot strip ${name}: ${why}`);
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
