import { execa } from 'execa';
import { FAILING, evaluate, fixPlan, formatTable, type CheckRow, type DoctorInput } from '../host/doctor-checks.js';
import { probeHost } from '../host/probe.js';
import { toolRequirements } from '../host/requirements.js';
import type { Toolchain } from '../recipes/load.js';
import { resolveContext, type GlobalOptions } from './context.js';

export interface DoctorOptions extends GlobalOptions {
  readonly fix?: boolean | undefined;
}

/** The command that compresses package members, by the profile's compression (gz is native). */
const PACKAGE_COMPRESSORS: Readonly<Record<string, string | undefined>> = { xz: 'xz', zst: 'zstd', gz: undefined, none: undefined };

export function doctorInput(toolchain: Toolchain, jobs: number): DoctorInput {
  const recipes = [...toolchain.recipes.values()];
  const tools = toolRequirements(recipes, PACKAGE_COMPRESSORS[toolchain.profile.compression]);
  // The profile's `cache: {ccache: true}` wraps every recipe's compilers in ccache.
  if (toolchain.profile.cache.ccache && !tools.some((t) => t.command === 'ccache')) {
    tools.push({ command: 'ccache', neededBy: recipes.map((r) => r.name).sort() });
    tools.sort((a, b) => (a.command < b.command ? -1 : 1));
  }
  return {
    tools,
    gccRecipes: recipes.filter((r) => r.host?.['gcc-libraries'] === true).map((r) => r.name).sort(),
    recipes,
    jobs,
  };
}

async function check(input: DoctorInput, workDir: string, cacheDir: string): Promise<CheckRow[]> {
  const facts = await probeHost({ commands: input.tools.map((t) => t.command), checkHeaders: input.gccRecipes.length > 0, workDir, cacheDir, env: process.env });
  const rows = evaluate(input, facts);
  process.stdout.write(formatTable(rows));
  const failing = rows.filter((row) => FAILING.has(row.status));
  const warnings = rows.filter((row) => row.status === 'warn').length;
  process.stdout.write(
    failing.length === 0
      ? `doctor: all ${rows.length} checks passed${warnings > 0 ? ` (${warnings} warnings)` : ''}\n`
      : `doctor: ${failing.length} of ${rows.length} checks failed: ${failing.map((row) => row.check).join(', ')}\n`,
  );
  return rows;
}

/**
 * `doctor`: checks that this machine can build the whole toolchain — the commands recipes
 * declare or imply, GCC's library headers, disk, cores and memory — and with `--fix` installs
 * the Debian packages that are missing. Exit code 0 only when nothing needed is missing.
 */
export async function doctorCommand(options: DoctorOptions): Promise<number> {
  const context = await resolveContext(options);
  const input = doctorInput(context.toolchain, context.jobs);
  const rows = await check(input, context.workDir, context.cacheDir);
  if (!rows.some((row) => FAILING.has(row.status))) return 0;
  const plan = fixPlan(rows, process.getuid?.() === 0);
  if (!options.fix) {
    if (plan.kind !== 'nothing' && plan.kind !== 'manual') process.stdout.write('doctor: `hermit-toolchain doctor --fix` installs the missing packages\n');
    return 1;
  }
  switch (plan.kind) {
    case 'nothing':
      return 1;
    case 'manual':
      process.stdout.write(`doctor --fix: no package fixes these; free disk or use a bigger machine:\n${plan.problems.map((p) => `  ${p}\n`).join('')}`);
      return 1;
    case 'ask':
      process.stdout.write(`doctor --fix: installing packages needs root; run:\n  ${plan.command}\n`);
      return 1;
    case 'install': {
      if ((await run(plan.update)) !== 0) process.stdout.write('doctor --fix: apt-get update failed; trying with the package lists there are\n');
      const code = await run(plan.install);
      if (code !== 0) {
        process.stdout.write(`doctor --fix: ${plan.install.join(' ')} failed with exit code ${code}\n`);
        return 1;
      }
      process.stdout.write('doctor --fix: checking again\n');
      return (await check(input, context.workDir, context.cacheDir)).some((row) => FAILING.has(row.status)) ? 1 : 0;
    }
  }
}

/** Runs a command in view of the user, printed first as a shell would with `set -x`. */
async function run(argv: readonly string[]): Promise<number> {
  process.stdout.write(`+ ${argv.join(' ')}\n`);
  const result = await execa(argv[0]!, argv.slice(1), { stdio: 'inherit', reject: false, env: { DEBIAN_FRONTEND: 'noninteractive' } });
  return result.exitCode ?? 128;
}
