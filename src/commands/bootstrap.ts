import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { UserError, describeError } from '../errors.js';
import { IndexError, defaultSelection, installSet, parsePackagesIndex, type RepoPackage } from '../host/apt-index.js';
import { BinfmtError } from '../host/binfmt.js';
import { BINFMT_DIR } from '../host/binfmt-misc.js';
import { BootstrapError, applyAction } from '../host/bootstrap-apply.js';
import { parseFrom, planBootstrap, type RepositorySource } from '../host/bootstrap-plan.js';
import { isSuccess, request, type HttpResponse } from '../net/http.js';
import type { Profile } from '../recipes/profile.js';
import { profileOf, type GlobalOptions } from './context.js';
import { outDirOf } from './packaging.js';

export interface BootstrapOptions extends GlobalOptions {
  readonly from?: string | undefined;
  readonly root?: string | undefined;
  readonly dryRun?: boolean | undefined;
  readonly binfmt?: boolean | undefined;
  readonly binfmtDir?: string | undefined;
  readonly out?: string | undefined;
}

const print = (line: string): void => {
  process.stdout.write(`${line}\n`);
};

/** The repository's Packages index; undefined when a folder has none (not built yet). */
async function readIndex(source: RepositorySource): Promise<RepoPackage[] | undefined> {
  if (source.kind === 'dir') {
    const file = path.join(source.dir, 'Packages');
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
    return parsePackagesIndex(text, file);
  }
  const url = `${source.url}/Packages`;
  let response: HttpResponse<Buffer>;
  try {
    response = await request(url);
  } catch (error) {
    throw new UserError(`cannot read ${url}: ${describeError(error)}`, { cause: error });
  }
  if (!isSuccess(response.status)) throw new UserError(`cannot read ${url}: HTTP ${response.status} (is it a repository written by \`hermit-toolchain package\`?)`);
  return parsePackagesIndex(response.body.toString('utf8'), url);
}

/** Builds the toolchain and its packages in the work directory; the apt index lands in <out>. */
async function build(options: BootstrapOptions, dryRun: boolean): Promise<RepositorySource> {
  const outDir = outDirOf(options);
  print(`${dryRun ? '[dry run] ' : ''}build every recipe and its package, with the apt index in ${outDir}  # no --from: build first`);
  if (!dryRun) {
    const { buildCommand } = await import('./build.js');
    const code = await buildCommand([], options);
    if (code !== 0) throw new UserError(`bootstrap: the build failed (exit code ${code}); nothing was installed`, { exitCode: code });
  }
  return { kind: 'dir', dir: outDir };
}

/**
 * `bootstrap`: a working toolchain on this machine (or under --root) from an apt repository —
 * `--from DIR|URL`, or the one a build here produces — through apt (or dpkg under a root), a
 * profile script for PATH, a verification, and optionally the binfmt_misc loader registration.
 */
export async function bootstrapCommand(packages: string[], options: BootstrapOptions): Promise<number> {
  const dryRun = options.dryRun === true;
  const root = options.root === undefined ? undefined : path.resolve(options.root);
  const isRoot = process.getuid?.() === 0;
  if (root === undefined && !dryRun && !isRoot) {
    throw new UserError('bootstrap installs packages on this machine and needs root: run it with sudo (or see what it would do with --dry-run, or install under a folder with --root DIR)');
  }
  const profile: Profile = await profileOf(options);
  const source = options.from !== undefined ? parseFrom(options.from) : await build(options, dryRun);
  const where = source.kind === 'dir' ? source.dir : source.url;
  const repository = await readIndex(source);
  if (repository === undefined) {
    if (dryRun && options.from === undefined) {
      print(`[dry run] then install from ${where} what the build produces (the exact actions depend on it: it is not built yet)`);
      return 0;
    }
    throw new UserError(`${where} is not an apt repository: it has no Packages file (make one with \`hermit-toolchain package\`)`);
  }
  try {
    const selection = packages.length > 0 ? packages : defaultSelection(repository.map((p) => p.name));
    const install = installSet(repository, selection);
    print(`repository ${where}: ${repository.length} packages; installing ${selection.join(', ')}${install.packages.length > selection.length ? ` (with ${install.packages.map((p) => p.name).filter((n) => !selection.includes(n)).join(', ')})` : ''}`);
    const binfmtDir = options.binfmt ? path.resolve(options.binfmtDir ?? (root === undefined ? BINFMT_DIR : path.join(root, BINFMT_DIR))) : undefined;
    const actions = planBootstrap({ source, root, selection, install, prefix: profile.prefix, isRoot, binfmtDir });
    const context = { prefix: profile.prefix, target: profile.target, osabiValue: profile.osabiValue, dryRun, print };
    let verified = true;
    for (const action of actions) verified = (await applyAction(action, context)) && verified;
    if (dryRun) return 0;
    print(verified ? `bootstrap: done; open a new login shell (or run \`. ${path.join(root ?? '/', '/etc/profile.d/hermit-toolchain.sh')}\`) to have ${profile.prefix}/bin on PATH` : 'bootstrap: installed, but the verification failed (see the lines above)');
    return verified ? 0 : 1;
  } catch (error) {
    if (error instanceof BootstrapError || error instanceof IndexError || error instanceof BinfmtError) throw new UserError(`bootstrap: ${error.message}`, { cause: error });
    throw error;
  }
}
