import { formatSize } from '../cache/size.js';
import type { Recipe } from '../recipes/schema.js';
import { diskNeeds } from './disk.js';
import { GCC_HEADERS, packageForCommand } from './packages.js';
import type { ToolRequirement } from './requirements.js';
import { MINIMUM_VERSIONS, isAtLeast, parseToolVersion } from './versions.js';

/**
 * Doctor's logic without effects: what was found on the host (HostFacts, gathered by probe.ts)
 * goes in, one row per check comes out, and from the rows the table and the packages to install.
 */

/** What looking for one command found. */
export interface CommandFact {
  readonly command: string;
  /** Absolute path, or undefined when the command is not on PATH. */
  readonly path: string | undefined;
  /** Output of `command --version` (stdout and stderr), when it ran. */
  readonly versionOutput: string | undefined;
}

export interface HeaderFact {
  readonly header: string;
  readonly found: boolean;
  /** The preprocessor's macros for a found header (to read its version). */
  readonly version: string | undefined;
}

export interface DiskFact {
  /** The folder asked about (it may not exist yet). */
  readonly path: string;
  readonly freeBytes: number;
  /** Device of the nearest existing folder: two folders on one device share their free space. */
  readonly device: number;
}

export interface HostFacts {
  readonly commands: ReadonlyMap<string, CommandFact>;
  /** Undefined when no compiler could be asked (the compiler's own row says why). */
  readonly headers: readonly HeaderFact[] | undefined;
  readonly compiler: string;
  readonly work: DiskFact;
  readonly cache: DiskFact;
  readonly cores: number;
  readonly memoryBytes: number;
}

export interface DoctorInput {
  readonly tools: readonly ToolRequirement[];
  /** Recipes that build GCC and so need its libraries' headers (none: no header checks). */
  readonly gccRecipes: readonly string[];
  /** Every recipe, for the disk they take. */
  readonly recipes: readonly Pick<Recipe, 'name' | 'host'>[];
  readonly jobs: number;
}

export type CheckStatus = 'ok' | 'missing' | 'too old' | 'low' | 'warn';

export interface CheckRow {
  readonly check: string;
  readonly status: CheckStatus;
  readonly found: string;
  readonly wanted: string;
  /** Debian package that provides what is checked ('' for disk, cores, memory). */
  readonly package: string;
  /** True when `package` comes from a rule of thumb rather than the map. */
  readonly guessed: boolean;
  readonly neededBy: string;
}

/** Statuses that make doctor fail; a warning is printed but a build can go on. */
export const FAILING: ReadonlySet<CheckStatus> = new Set(['missing', 'too old', 'low']);

const MIB = 1024 * 1024;
const GIB = 1024 * MIB;
/** Linking cc1plus alone takes about a GiB; less than two and GCC's build fails. */
export const MINIMUM_MEMORY_GIB = 2;
/** What one parallel job of a GCC build uses at its peak, for the -j advice. */
export const MEMORY_PER_JOB_GIB = 1;

function listNames(names: readonly string[]): string {
  return names.length <= 3 ? names.join(', ') : `${names.slice(0, 3).join(', ')} +${names.length - 3}`;
}

function commandRow(tool: ToolRequirement, fact: CommandFact | undefined): CheckRow {
  const guess = packageForCommand(tool.command);
  const minimum = MINIMUM_VERSIONS[tool.command];
  const base = { check: `command ${tool.command}`, package: guess.package, guessed: !guess.known, neededBy: listNames(tool.neededBy), wanted: minimum ? `>= ${minimum.version}` : 'any' };
  if (!fact?.path) return { ...base, status: 'missing', found: 'not on PATH' };
  const version = fact.versionOutput === undefined ? undefined : parseToolVersion(fact.versionOutput);
  if (!minimum) return { ...base, status: 'ok', found: version ?? 'present' };
  if (version === undefined) return { ...base, status: 'warn', found: 'version unreadable' };
  return { ...base, status: isAtLeast(version, minimum.version) ? 'ok' : 'too old', found: version };
}

function headerRows(facts: HostFacts, gccRecipes: readonly string[]): CheckRow[] {
  return GCC_HEADERS.map((requirement) => {
    const base = { check: `header ${requirement.header}`, package: requirement.package, guessed: false, neededBy: listNames(gccRecipes), wanted: requirement.minimum ? `>= ${requirement.minimum}` : 'any' };
    const fact = facts.headers?.find((h) => h.header === requirement.header);
    if (!facts.headers) return { ...base, status: 'missing', found: `no ${facts.compiler} to look with` };
    if (!fact?.found) return { ...base, status: 'missing', found: `not found by ${facts.compiler}` };
    if (!requirement.minimum || !fact.version) return { ...base, status: 'ok', found: fact.version ?? 'present' };
    return { ...base, status: isAtLeast(fact.version, requirement.minimum) ? 'ok' : 'too old', found: fact.version };
  });
}

function diskRows(facts: HostFacts, recipes: readonly Pick<Recipe, 'host'>[]): CheckRow[] {
  const needs = diskNeeds(recipes);
  const row = (label: string, fact: DiskFact, neededMiB: number): CheckRow => ({
    check: `disk ${label}`,
    status: fact.freeBytes >= neededMiB * MIB ? 'ok' : 'low',
    found: `${formatSize(fact.freeBytes, 'binary')} free in ${fact.path}`,
    wanted: `>= ${formatSize(neededMiB * MIB, 'binary')}`,
    package: '',
    guessed: false,
    neededBy: `${recipes.length} recipe${recipes.length === 1 ? '' : 's'} (${needs.measured} measured)`,
  });
  if (facts.work.device === facts.cache.device) return [row('work+cache', facts.work, needs.workMiB + needs.cacheMiB)];
  return [row('work', facts.work, needs.workMiB), row('cache', facts.cache, needs.cacheMiB)];
}

function machineRows(facts: HostFacts, jobs: number): CheckRow[] {
  const memoryGib = facts.memoryBytes / GIB;
  const jobsFit = Math.max(1, Math.floor(memoryGib / MEMORY_PER_JOB_GIB));
  const memoryStatus: CheckStatus = memoryGib < MINIMUM_MEMORY_GIB ? 'low' : jobs > jobsFit ? 'warn' : 'ok';
  return [
    {
      check: 'cores',
      status: jobs > facts.cores ? 'warn' : 'ok',
      found: String(facts.cores),
      wanted: `>= ${jobs} for -j ${jobs}`,
      package: '',
      guessed: false,
      neededBy: 'build',
    },
    {
      check: 'memory',
      status: memoryStatus,
      found: formatSize(facts.memoryBytes, 'binary'),
      wanted: `>= ${MINIMUM_MEMORY_GIB} GiB, ${MEMORY_PER_JOB_GIB} GiB per job${memoryStatus === 'warn' ? ` (use -j ${jobsFit})` : ''}`,
      package: '',
      guessed: false,
      neededBy: 'build',
    },
  ];
}

/** Every check, in the order the table shows them. */
export function evaluate(input: DoctorInput, facts: HostFacts): CheckRow[] {
  return [
    ...input.tools.map((tool) => commandRow(tool, facts.commands.get(tool.command))),
    ...(input.gccRecipes.length > 0 ? headerRows(facts, input.gccRecipes) : []),
    ...diskRows(facts, input.recipes),
    ...machineRows(facts, input.jobs),
  ];
}

/** The Debian packages that fix the failing rows, each once, in row order. */
export function packagesToInstall(rows: readonly CheckRow[]): string[] {
  return [...new Set(rows.filter((row) => FAILING.has(row.status) && row.package !== '').map((row) => row.package))];
}

export function formatTable(rows: readonly CheckRow[]): string {
  const header = ['CHECK', 'STATUS', 'FOUND', 'WANTED', 'DEBIAN PACKAGE', 'NEEDED BY'];
  const cells = rows.map((row) => [row.check, row.status, row.found, row.wanted, row.package === '' ? '-' : `${row.package}${row.guessed ? ' (guess)' : ''}`, row.neededBy]);
  const all = [header, ...cells];
  const widths = header.map((_, col) => Math.max(...all.map((line) => line[col]!.length)));
  return all.map((line) => line.map((cell, col) => cell.padEnd(widths[col]!)).join('  ').trimEnd()).join('\n') + '\n';
}

/** What `--fix` does: install as root, or tell the exact command to run with sudo. */
export type FixPlan =
  | { readonly kind: 'nothing' }
  /** `update` refreshes the package lists first; when it fails, the lists already there may do. */
  | { readonly kind: 'install'; readonly update: readonly string[]; readonly install: readonly string[] }
  | { readonly kind: 'ask'; readonly command: string }
  | { readonly kind: 'manual'; readonly problems: readonly string[] };

export function fixPlan(rows: readonly CheckRow[], isRoot: boolean): FixPlan {
  const packages = packagesToInstall(rows);
  const manual = rows.filter((row) => FAILING.has(row.status) && row.package === '').map((row) => `${row.check}: ${row.found} (wanted ${row.wanted})`);
  if (packages.length === 0) return manual.length > 0 ? { kind: 'manual', problems: manual } : { kind: 'nothing' };
  const install = ['apt-get', 'install', '-y', ...packages];
  if (!isRoot) return { kind: 'ask', command: `sudo apt-get update && sudo DEBIAN_FRONTEND=noninteractive ${install.join(' ')}` };
  return { kind: 'install', update: ['apt-get', 'update'], install };
}
