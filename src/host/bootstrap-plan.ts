import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { formatRelation, type Relation } from '../package/relations.js';
import type { InstallSet } from './apt-index.js';

/**
 * Bootstrap as a plan: the repository, what to install and where go in; the list of actions
 * comes out, each printable. `--dry-run` prints the plan, a real run applies it action by action
 * (bootstrap-apply.ts), so both show the same lines.
 */

export type RepositorySource = { readonly kind: 'dir'; readonly dir: string } | { readonly kind: 'url'; readonly url: string };

export const LIST_FILE = '/etc/apt/sources.list.d/hermit-toolchain.list';
export const PROFILE_SCRIPT = '/etc/profile.d/hermit-toolchain.sh';
const ARCHIVES = '/var/cache/apt/archives';
const ADMINDIR = '/var/lib/dpkg';

/** `--from`: an http(s) URL, a file: URL or a folder. */
export function parseFrom(value: string): RepositorySource {
  if (/^https?:\/\//.test(value)) return { kind: 'url', url: value.replace(/\/+$/, '') };
  if (value.startsWith('file:')) return { kind: 'dir', dir: new URL(value).pathname };
  return { kind: 'dir', dir: path.resolve(value) };
}

/** A flat repository (`./`) trusted without a signature: it is our own build or a cache we chose. */
export function sourceLine(source: RepositorySource): string {
  return source.kind === 'dir' ? `deb [trusted=yes] ${pathToFileURL(source.dir).href.replace(/^file:\/\/\//, 'file:/')} ./` : `deb [trusted=yes] ${source.url} ./`;
}

export function profileScript(prefix: string): string {
  const bin = `${prefix}/bin`;
  return [
    `# Written by hermit-toolchain bootstrap: puts the HermitCore cross toolchain (${prefix}) on PATH.`,
    '# Its commands are named x86_64-hermit-*, so they go last and shadow nothing.',
    'case ":${PATH}:" in',
    `  *:${bin}:*) ;;`,
    `  *) PATH="\${PATH:+\${PATH}:}${bin}"; export PATH ;;`,
    'esac',
    '',
  ].join('\n');
}

export type Action =
  | { readonly kind: 'write'; readonly file: string; readonly text: string; readonly what: string }
  | { readonly kind: 'run'; readonly argv: readonly string[]; readonly what: string }
  | { readonly kind: 'download'; readonly url: string; readonly file: string; readonly sha256: string | undefined; readonly size: number | undefined }
  /** Record host packages as installed in the root's dpkg database (see planBootstrap). */
  | { readonly kind: 'seed'; readonly admindir: string; readonly relations: ReadonlyArray<readonly Relation[]> }
  | { readonly kind: 'verify'; readonly root: string; readonly packages: readonly string[]; readonly admindir: string | undefined }
  | { readonly kind: 'binfmt'; readonly dir: string };

export interface BootstrapRequest {
  readonly source: RepositorySource;
  /** `--root DIR`: everything under DIR, packages through dpkg --root; undefined: this machine. */
  readonly root: string | undefined;
  readonly selection: readonly string[];
  readonly install: InstallSet;
  readonly prefix: string;
  readonly isRoot: boolean;
  /** binfmt_misc folder to register the loader in, when asked to. */
  readonly binfmtDir: string | undefined;
}

const under = (root: string | undefined, file: string): string => (root === undefined ? file : path.join(root, file));

/**
 * The actions, in order. On this machine: the apt source list, `apt-get update` of that list
 * alone, `apt-get install`, the profile script. Under `--root`: the same files under the root,
 * and the packages installed by dpkg into the root's own database. That database starts empty,
 * so the dependencies the repository does not provide (libc6 and the like, which the root's
 * programs take from this machine) are first recorded there as this machine has them.
 */
export function planBootstrap(request: BootstrapRequest): Action[] {
  const { root, source } = request;
  const listFile = under(root, LIST_FILE);
  const actions: Action[] = [{ kind: 'write', file: listFile, text: `${sourceLine(source)}\n`, what: 'apt source' }];
  const names = request.install.packages.map((p) => p.name);
  if (root === undefined) {
    actions.push({
      kind: 'run',
      argv: ['apt-get', 'update', '-o', `Dir::Etc::SourceList=${listFile}`, '-o', 'Dir::Etc::SourceParts=-', '-o', 'APT::Get::List-Cleanup=0'],
      what: 'read the repository index (this list only)',
    });
    actions.push({ kind: 'run', argv: ['apt-get', 'install', '-y', ...request.selection], what: `install ${names.length} packages` });
  } else {
    const admindir = path.join(root, ADMINDIR);
    if (request.install.external.length > 0) actions.push({ kind: 'seed', admindir, relations: request.install.external });
    const debs: string[] = [];
    for (const pkg of request.install.packages) {
      if (source.kind === 'dir') {
        debs.push(path.join(source.dir, pkg.filename));
      } else {
        const file = path.join(root, ARCHIVES, path.basename(pkg.filename));
        actions.push({ kind: 'download', url: `${source.url}/${pkg.filename.replace(/^\.\//, '')}`, file, sha256: pkg.sha256, size: pkg.size });
        debs.push(file);
      }
    }
    const dpkg = ['dpkg', `--root=${root}`, ...(request.isRoot ? [] : ['--force-not-root']), '--install', ...debs];
    actions.push({ kind: 'run', argv: dpkg, what: `install ${names.length} packages into ${root}` });
  }
  actions.push({ kind: 'write', file: under(root, PROFILE_SCRIPT), text: profileScript(request.prefix), what: `puts ${request.prefix}/bin on PATH` });
  actions.push({ kind: 'verify', root: root ?? '/', packages: names, admindir: root === undefined ? undefined : path.join(root, ADMINDIR) });
  if (request.binfmtDir !== undefined) actions.push({ kind: 'binfmt', dir: request.binfmtDir });
  return actions;
}

export function describeAction(action: Action): string {
  switch (action.kind) {
    case 'write':
      return `write ${action.file} (${action.what})${action.text.split('\n').length <= 2 ? `: ${action.text.trim()}` : ''}`;
    case 'run':
      return `run ${action.argv.join(' ')}  # ${action.what}`;
    case 'download':
      return `download ${action.url} -> ${action.file}${action.sha256 ? ` (sha256 ${action.sha256.slice(0, 12)}…)` : ''}`;
    case 'seed':
      return `record in ${action.admindir}/status the packages this machine provides: ${action.relations.map((group) => group.map(formatRelation).join(' | ')).join(', ')}`;
    case 'verify':
      return `verify the installation (${action.packages.join(', ')}) under ${action.root}`;
    case 'binfmt':
      return `register the HermitCore loader with binfmt_misc at ${action.dir}`;
  }
}
