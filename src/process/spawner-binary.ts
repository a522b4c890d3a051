import { accessSync, constants, mkdirSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { UserError } from '../errors.js';
import { defaultCacheDir } from '../folders.js';
import { sha256Hex } from '../hash.js';
import { SPAWNER_SOURCE } from './spawner-source.js';

/** The step spawner could not be built: what the user must install or fix is in the message. */
export class SpawnerBuildError extends UserError {}

/**
 * Where the spawner built from this source lives: named by the source and the machine it runs
 * on, so a changed source or another architecture sharing the home folder builds its own.
 */
export function spawnerBinaryPath(cacheDir = defaultCacheDir()): string {
  const key = sha256Hex(`${SPAWNER_SOURCE}\0${process.platform}-${process.arch}`).slice(0, 16);
  return path.join(cacheDir, 'spawner', `spawner-${key}`);
}

/** This process's answers by file: each spawner it starts asks, and a failure is asked again. */
const built = new Map<string, Promise<string>>();

/**
 * The spawner's program, built with `cc` the first time. It is written beside its final name
 * and renamed into place, so two runs building it at once both end with a whole program.
 * Resolves to where it is (elsewhere than `file` when `file`'s folder cannot be written).
 */
export function spawnerBinary(file = spawnerBinaryPath()): Promise<string> {
  let binary = built.get(file);
  if (!binary) {
    binary = build(file);
    built.set(file, binary);
    binary.catch(() => built.delete(file));
  }
  return binary;
}

async function build(file: string): Promise<string> {
  try {
    accessSync(file, constants.X_OK);
    return file;
  } catch {
    // Not built yet.
  }
  const { execa } = await import('execa');
  const dir = writableFolder(path.dirname(file));
  const target = path.join(dir, path.basename(file));
  const partial = `${target}.${process.pid}.partial`;
  const result = await execa('cc', ['-O2', '-o', partial, '-x', 'c', '-'], { input: SPAWNER_SOURCE, reject: false, stdout: 'ignore', stderr: 'pipe' });
  if (result.exitCode !== 0) {
    rmSync(partial, { force: true });
    const why =
      result.exitCode === undefined && result.signal === undefined
        ? 'no C compiler (cc) on PATH (Debian package gcc)'
        : `cc ${result.signal ? `was killed by ${result.signal}` : `exited with code ${result.exitCode}`}: ${result.stderr.split('\n').find((line) => line.trim() !== '') ?? 'no message'}`;
    throw new SpawnerBuildError(`cannot build the step spawner (${target}): ${why}`);
  }
  renameSync(partial, target);
  return target;
}

/**
 * `dir`, made if missing, or when it cannot be written (a read-only home) a private folder in
 * the system's temporary folder, where this run builds its own spawner.
 */
function writableFolder(dir: string): string {
  try {
    mkdirSync(dir, { recursive: true });
    accessSync(dir, constants.W_OK);
    return dir;
  } catch {
    const own = mkdtempSync(path.join(os.tmpdir(), 'hermit-spawner-'));
    process.once('exit', () => rmSync(own, { recursive: true, force: true }));
    return own;
  }
}
