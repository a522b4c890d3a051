import { appendFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { execa } from 'execa';
import { HermitError } from '../errors.js';
import { sha256Hex } from '../hash.js';
import { isSuccess, request } from '../net/http.js';
import { field, parseStanza, parseStanzas } from '../package/control.js';
import { formatRelation, satisfies, type Relation } from '../package/relations.js';
import { hermitEntry } from './binfmt.js';
import { BinfmtMisc, registerEntry } from './binfmt-misc.js';
import { describeAction, PROFILE_SCRIPT, type Action } from './bootstrap-plan.js';
import { verifyInstall, type Verdict } from './verify.js';

/** Carrying out bootstrap's actions (effects), printing each as it starts. */

export class BootstrapError extends HermitError {}

export interface ApplyContext {
  readonly prefix: string;
  readonly target: string;
  readonly osabiValue: number;
  readonly dryRun: boolean;
  readonly print: (line: string) => void;
}

async function run(argv: readonly string[]): Promise<void> {
  const result = await execa(argv[0]!, argv.slice(1), { stdio: ['ignore', 'inherit', 'inherit'], reject: false, env: { DEBIAN_FRONTEND: 'noninteractive' } });
  if (result.exitCode !== 0) throw new BootstrapError(`${argv.join(' ')} failed with exit code ${result.exitCode ?? result.signal}`);
}

async function download(action: Extract<Action, { kind: 'download' }>): Promise<void> {
  const response = await request(action.url);
  if (!isSuccess(response.status)) throw new BootstrapError(`downloading ${action.url} failed: HTTP ${response.status}`);
  const bytes = response.body;
  if (action.size !== undefined && bytes.length !== action.size) throw new BootstrapError(`${action.url}: got ${bytes.length} bytes, the index says ${action.size}`);
  const sha256 = sha256Hex(bytes);
  if (action.sha256 !== undefined && sha256 !== action.sha256) throw new BootstrapError(`${action.url}: sha256 ${sha256} does not match the index (${action.sha256})`);
  await mkdir(path.dirname(action.file), { recursive: true });
  await writeFile(action.file, bytes);
}

/** The status stanza of an installed package of this machine, if it satisfies the relation. */
async function hostStanza(relation: Relation): Promise<string | undefined> {
  const result = await execa('dpkg-query', ['--status', relation.name], { reject: false });
  if (result.exitCode !== 0) return undefined;
  const stanza = parseStanzas(result.stdout, `dpkg-query --status ${relation.name}`)[0];
  if (!stanza || field(stanza, 'Status') !== 'install ok installed' || !satisfies(field(stanza, 'Version') ?? '', relation)) return undefined;
  return result.stdout.trimEnd();
}

/**
 * Makes the root's dpkg database (creating it when new) list the host packages the repository's
 * packages depend on, each with an empty file list so dpkg does not warn about it.
 */
async function seed(action: Extract<Action, { kind: 'seed' }>): Promise<void> {
  await mkdir(path.join(action.admindir, 'info'), { recursive: true });
  await mkdir(path.join(action.admindir, 'updates'), { recursive: true });
  const statusFile = path.join(action.admindir, 'status');
  const existing = await readFile(statusFile, 'utf8').catch(() => '');
  const present = new Set(parseStanzas(existing, statusFile).map((s) => field(s, 'Package')));
  if (existing === '') await writeFile(statusFile, '');
  for (const group of action.relations) {
    let found: string | undefined;
    for (const relation of group) if ((found = await hostStanza(relation))) break;
    if (!found) {
      const wanted = group.map(formatRelation).join(' | ');
      throw new BootstrapError(`the packages need ${wanted}, which this machine does not have: install it first (apt-get install ${group[0]!.name})`);
    }
    const stanza = parseStanza(`${found}\n`, 'dpkg-query');
    const name = field(stanza, 'Package')!;
    if (present.has(name)) continue;
    present.add(name);
    await appendFile(statusFile, `${found}\n\n`);
    const listName = field(stanza, 'Multi-Arch') === 'same' ? `${name}:${field(stanza, 'Architecture')}` : name;
    await writeFile(path.join(action.admindir, 'info', `${listName}.list`), '');
  }
}

function printVerdicts(verdicts: readonly Verdict[], print: (line: string) => void): void {
  for (const verdict of verdicts) print(`verify: ${verdict.outcome.padEnd(7)} ${verdict.check}: ${verdict.detail}`);
}

/** Applies one action; returns false when a verification failed (the run goes on to the end). */
export async function applyAction(action: Action, context: ApplyContext): Promise<boolean> {
  const { print } = context;
  if (context.dryRun) {
    print(`[dry run] ${describeAction(action)}`);
    if (action.kind === 'write' && action.text.split('\n').length > 2) for (const line of action.text.trimEnd().split('\n')) print(`[dry run]   | ${line}`);
    if (action.kind === 'binfmt') await registerEntry(new BinfmtMisc(action.dir), hermitEntry(context.osabiValue, context.prefix), { dryRun: true, print: (line) => print(`[dry run] ${line}`) });
    return true;
  }
  print(describeAction(action));
  switch (action.kind) {
    case 'write':
      await mkdir(path.dirname(action.file), { recursive: true });
      await writeFile(action.file, action.text);
      return true;
    case 'run':
      await run(action.argv);
      return true;
    case 'download':
      await download(action);
      return true;
    case 'seed':
      await seed(action);
      return true;
    case 'verify': {
      const verdicts = await verifyInstall({
        root: action.root,
        admindir: action.admindir,
        packages: action.packages,
        prefix: context.prefix,
        target: context.target,
        osabiValue: context.osabiValue,
        profileScript: path.join(action.root, PROFILE_SCRIPT),
      });
      printVerdicts(verdicts, print);
      return verdicts.every((v) => v.outcome !== 'failed');
    }
    case 'binfmt':
      await registerEntry(new BinfmtMisc(action.dir), hermitEntry(context.osabiValue, context.prefix), { dryRun: false, print });
      return true;
  }
}
