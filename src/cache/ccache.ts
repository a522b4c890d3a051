import { realpath, symlink } from 'node:fs/promises';
import path from 'node:path';
import { UserError } from '../errors.js';
import { which } from '../process/which.js';
import { emptyFolder } from '../folders.js';

/** Host compiler names wrapped when they exist. */
export const HOST_COMPILERS = ['cc', 'gcc', 'c++', 'g++', 'clang', 'clang++'] as const;

/** The target's compiler names (x86_64-hermit-gcc, ...), wrapped once a stage provides them. */
export function targetCompilers(target: string): string[] {
  return ['cc', 'gcc', 'c++', 'g++'].map((name) => `${target}-${name}`);
}

export interface CompilerCacheOptions {
  /** The ccache program. */
  readonly ccache: string;
  /** CCACHE_DIR: `<cache>/ccache`. */
  readonly dir: string;
  /** CCACHE_BASEDIR: paths below it are hashed relative to the working directory, so two work directories share hits. */
  readonly baseDir: string;
  /** Where each recipe's folder of compiler links is made. */
  readonly wrapperRoot: string;
  readonly target: string;
  /** ccache's remote_storage, set unless the environment already has CCACHE_REMOTE_STORAGE. */
  readonly remoteStorage: string | undefined;
}

/**
 * Runs every compiler through ccache by putting a folder of links named like the compilers
 * (gcc -> ccache, x86_64-hermit-gcc -> ccache, ...) first in the steps' PATH; ccache then runs
 * the next compiler of that name on the PATH. The folder is made afresh before a task's steps and
 * holds a link only for a compiler that exists at that moment: the target compilers appear once
 * a need that installs them has been staged, and a link without a compiler behind it would make
 * configure scripts believe in a compiler that is not there.
 */
export class CompilerCache {
  constructor(readonly options: CompilerCacheOptions) {}

  async environment(recipe: string, env: Readonly<Record<string, string>>): Promise<Record<string, string>> {
    const { options } = this;
    const searchPath = env.PATH ?? '';
    const wrappers = path.join(options.wrapperRoot, recipe);
    await emptyFolder(wrappers);
    const ccacheReal = await realpath(options.ccache);
    // A compiler that is itself a link to ccache (Debian's /usr/lib/ccache) is not a compiler.
    const isCcache = async (file: string): Promise<boolean> => (await realpath(file).catch(() => file)) === ccacheReal;
    for (const name of [...HOST_COMPILERS, ...targetCompilers(options.target)]) {
      if (await which(name, searchPath, isCcache)) await symlink(options.ccache, path.join(wrappers, name));
    }
    const wrapped: Record<string, string> = {
      ...env,
      PATH: [wrappers, searchPath].join(path.delimiter),
      CCACHE_DIR: options.dir,
      CCACHE_BASEDIR: options.baseDir,
    };
    if (options.remoteStorage !== undefined && env.CCACHE_REMOTE_STORAGE === undefined) wrapped.CCACHE_REMOTE_STORAGE = options.remoteStorage;
    return wrapped;
  }
}

/** Where ccache is, or a clear error when it is asked for but not installed. */
export async function locateCcache(searchPath: string): Promise<string> {
  const found = await which('ccache', searchPath);
  if (!found) throw new UserError('--ccache: ccache is not installed or not on PATH (Debian: apt-get install ccache)');
  return found;
}

/** `ccache --show-stats` for a cache folder, or why it cannot be shown. */
export async function ccacheStats(dir: string, searchPath: string): Promise<string> {
  const ccache = await which('ccache', searchPath);
  if (!ccache) return 'ccache is not installed';
  const { execa } = await import('execa');
  const result = await execa(ccache, ['--show-stats'], { env: { CCACHE_DIR: dir }, reject: false });
  return result.exitCode === 0 ? result.stdout : `ccache --show-stats failed: ${result.stderr || result.stdout}`;
}
