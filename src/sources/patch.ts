import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import type { PatchFileHash } from '../plan/keys.js';
import { UserError } from '../errors.js';
import { sha256Hex } from '../hash.js';
import { StepFailure, runStep, tailLines } from '../process/run.js';

/** The `*.patch` files of a folder in name order (the order they are applied). */
export async function listPatches(dir: string): Promise<string[]> {
  const names = readdirSync(dir).filter((name) => name.endsWith('.patch')).sort();
  return names.map((name) => path.join(dir, name));
}

export async function hashPatches(dir: string): Promise<PatchFileHash[]> {
  const files = await listPatches(dir);
  return files.map((file) => ({ name: path.basename(file), sha256: sha256Hex(readFileSync(file)) }));
}

export class PatchError extends UserError {}

/** The first thing GNU patch could not do, with the file it concerns ("tool/main.c: Hunk #1 FAILED at 3."). */
export function firstProblem(output: readonly string[]): string {
  let file: string | undefined;
  for (const line of output) {
    const target = /^(?:checking|patching) file (.+)$/.exec(line);
    if (target) file = target[1]!.replace(/^'(.*)'$/, '$1');
    if (/FAILED|can't find file|No file to patch|malformed|Reversed \(or previously applied\)|Only garbage/i.test(line)) {
      return file && !line.includes(file) ? `${file}: ${line.trim()}` : line.trim();
    }
  }
  return output.find((line) => line.trim() !== '')?.trim() ?? 'GNU patch failed';
}

/**
 * Applies patches with GNU patch -p1, each checked with --dry-run first so that a stale patch is
 * reported before it touches a file. The caller discards the tree if this throws.
 */
export async function applyPatches(srcDir: string, patches: readonly string[], logFile: string, env: Readonly<Record<string, string>>): Promise<void> {
  for (const patch of patches) {
    for (const dryRun of [true, false]) {
      const argv = ['patch', '-p1', '--forward', '--batch', '--no-backup-if-mismatch', ...(dryRun ? ['--dry-run'] : []), '-i', patch];
      try {
        await runStep(argv, { cwd: srcDir, env, logFile });
      } catch (error) {
        if (!(error instanceof StepFailure)) throw error;
        const tail = await tailLines(logFile, 200);
        const output = tail.slice(tail.findLastIndex((line) => line.startsWith('$ patch')) + 1);
        throw new PatchError(`patch ${path.basename(patch)} does not apply: ${firstProblem(output)}`, {
          details: output.filter((line) => !line.startsWith('  (in ') && !line.startsWith('=> ')).slice(-20),
          logPath: logFile,
          cause: error,
        });
      }
    }
  }
}
