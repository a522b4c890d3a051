import { stat, statfs } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { which } from '../process/which.js';
import type { CommandFact, DiskFact, HeaderFact, HostFacts } from './doctor-checks.js';
import { GCC_HEADERS } from './packages.js';
import { headerVersion, parseMacros } from './versions.js';

/** Looking at the host for doctor: PATH, `--version`, the compiler's include path, disks. */

// A tool that ignores --version and waits on its input must not stop doctor.
const VERSION_TIMEOUT_MS = 10_000;

export async function probeCommand(command: string, env: NodeJS.ProcessEnv): Promise<CommandFact> {
  const found = await which(command, env.PATH);
  if (!found) return { command, path: undefined, versionOutput: undefined };
  const result = await execa(found, ['--version'], { env, extendEnv: false, reject: false, all: true, stdin: 'ignore', timeout: VERSION_TIMEOUT_MS });
  return { command, path: found, versionOutput: result.all ?? '' };
}

/**
 * Whether the compiler finds each of GCC's library headers, and their versions: each header is
 * preprocessed alone (`cc -E -dM -x c -`), so one missing header does not hide the others.
 */
export async function probeHeaders(compiler: string, env: NodeJS.ProcessEnv): Promise<HeaderFact[] | undefined> {
  const found = await which(compiler, env.PATH);
  if (!found) return undefined;
  return Promise.all(
    GCC_HEADERS.map(async ({ header }) => {
      const result = await execa(found, ['-E', '-dM', '-x', 'c', '-'], { env, extendEnv: false, reject: false, input: `#include <${header}>\n`, timeout: 30_000 });
      if (result.exitCode !== 0) return { header, found: false, version: undefined };
      return { header, found: true, version: headerVersion(header, parseMacros(result.stdout)) };
    }),
  );
}

/** Free space for a folder that may not exist yet: that of its nearest existing ancestor. */
export async function probeDisk(folder: string): Promise<DiskFact> {
  let existing = path.resolve(folder);
  for (;;) {
    try {
      const [fs, info] = await Promise.all([statfs(existing), stat(existing)]);
      return { path: folder, freeBytes: fs.bavail * fs.bsize, device: info.dev };
    } catch (error) {
      const parent = path.dirname(existing);
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT' || parent === existing) throw error;
      existing = parent;
    }
  }
}

export interface ProbeRequest {
  readonly commands: readonly string[];
  readonly checkHeaders: boolean;
  readonly workDir: string;
  readonly cacheDir: string;
  readonly env: NodeJS.ProcessEnv;
}

export async function probeHost(request: ProbeRequest): Promise<HostFacts> {
  const compiler = request.env.CC && !/\s/.test(request.env.CC) ? request.env.CC : 'gcc';
  const [commands, headers, work, cache] = await Promise.all([
    Promise.all(request.commands.map((command) => probeCommand(command, request.env))),
    request.checkHeaders ? probeHeaders(compiler, request.env) : Promise.resolve([]),
    probeDisk(request.workDir),
    probeDisk(request.cacheDir),
  ]);
  return {
    commands: new Map(commands.map((fact) => [fact.command, fact])),
    headers,
    compiler,
    work,
    cache,
    cores: os.availableParallelism(),
    memoryBytes: os.totalmem(),
  };
}
