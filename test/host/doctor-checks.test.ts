import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { evaluate, fixPlan, formatTable, packagesToInstall, type CommandFact, type DoctorInput, type HostFacts } from '../../src/host/doctor-checks.js';

const GIB = 1024 ** 3;

function facts(overrides: Partial<HostFacts> = {}, commands: Record<string, string | undefined> = {}): HostFacts {
  const entries = Object.entries(commands).map(([command, output]): [string, CommandFact] => [
    command,
    { command, path: output === undefined ? undefined : `/usr/bin/${command}`, versionOutput: output },
  ]);
  return {
    commands: new Map(entries),
    headers: [
      { header: 'gmp.h', found: true, version: '6.2.1' },
      { header: 'mpfr.h', found: true, version: '4.2.0' },
      { header: 'mpc.h', found: true, version: '1.3.1' },
      { header: 'isl/version.h', found: true, version: undefined },
    ],
    compiler: 'gcc',
    work: { path: '/work/build', freeBytes: 100 * GIB, device: 1 },
    cache: { path: '/root/.cache/hermit-toolchain', freeBytes: 100 * GIB, device: 1 },
    cores: 2,
    memoryBytes: 24 * GIB,
    ...overrides,
  };
}

const input: DoctorInput = {
  tools: [
    { command: 'cmake', neededBy: ['libhermit'] },
    { command: 'makeinfo', neededBy: ['binutils', 'gcc', 'gcc-bootstrap', 'newlib'] },
    { command: 'nasm', neededBy: ['libhermit'] },
    { command: 'ninja', neededBy: ['libhermit'] },
  ],
  gccRecipes: ['gcc'],
  recipes: [
    { name: 'binutils', host: { disk: { 'work-mib': 619, 'cache-mib': 23, basis: 'measured' } } },
    { name: 'gcc', host: { 'gcc-libraries': true, disk: { 'work-mib': 6144, 'cache-mib': 81, basis: 'estimate' } } },
  ],
  jobs: 2,
};

describe('doctor checks', () => {
  it('judges commands by presence and minimum version', () => {
    const rows = evaluate(input, facts({}, { cmake: 'cmake version 3.5.1', makeinfo: 'texi2any (GNU texinfo) 6.8', nasm: 'NASM version 2.16.01', ninja: undefined }));
    const byCheck = new Map(rows.map((row) => [row.check, row]));
    expect(byCheck.get('command cmake')).toMatchObject({ status: 'too old', found: '3.5.1', wanted: '>= 3.7', package: 'cmake' });
    expect(byCheck.get('command makeinfo')).toMatchObject({ status: 'ok', found: '6.8', package: 'texinfo', neededBy: 'binutils, gcc, gcc-bootstrap +1' });
    expect(byCheck.get('command nasm')).toMatchObject({ status: 'ok', found: '2.16.01', wanted: 'any' });
    expect(byCheck.get('command ninja')).toMatchObject({ status: 'missing', found: 'not on PATH', package: 'ninja', guessed: true });
    expect(packagesToInstall(rows)).toEqual(['cmake', 'ninja']);
  });

  it('warns (without failing) when a version cannot be read', () => {
    const rows = evaluate(input, facts({}, { cmake: 'cmake, some build', makeinfo: '6.8', nasm: '', ninja: '1.11.1' }));
    expect(rows.find((row) => row.check === 'command cmake')).toMatchObject({ status: 'warn', found: 'version unreadable' });
    expect(rows.find((row) => row.check === 'command nasm')).toMatchObject({ status: 'ok', found: 'present' });
  });

  it('checks headers only for GCC recipes, and says when there is no compiler to look with', () => {
    const present = { cmake: '3.25.1', makeinfo: '6.8', nasm: '2.16.01', ninja: '1.11.1' };
    expect(evaluate({ ...input, gccRecipes: [] }, facts({}, present)).some((row) => row.check.startsWith('header'))).toBe(false);
    const noCompiler = evaluate(input, facts({ headers: undefined }, present)).filter((row) => row.check.startsWith('header'));
    expect(noCompiler.map((row) => [row.status, row.found, row.package])).toEqual([
      ['missing', 'no gcc to look with', 'libgmp-dev'],
      ['missing', 'no gcc to look with', 'libmpfr-dev'],
      ['missing', 'no gcc to look with', 'libmpc-dev'],
      ['missing', 'no gcc to look with', 'libisl-dev'],
    ]);
  });

  it('adds up disk needs per file system and flags low disk, memory and too many jobs', () => {
    const present = { cmake: '3.25.1', makeinfo: '6.8', nasm: '2.16.01', ninja: '1.11.1' };
    const shared = evaluate(input, facts({ work: { path: '/w', freeBytes: 2 * GIB, device: 7 }, cache: { path: '/c', freeBytes: 2 * GIB, device: 7 } }, present));
    expect(shared.filter((row) => row.check.startsWith('disk')).map((row) => [row.check, row.status])).toEqual([['disk work+cache', 'low']]);
    const split = evaluate(input, facts({ work: { path: '/w', freeBytes: 200 * GIB, device: 7 }, cache: { path: '/c', freeBytes: 1024 ** 2, device: 8 } }, present));
    expect(split.filter((row) => row.check.startsWith('disk')).map((row) => [row.check, row.status])).toEqual([
      ['disk work', 'ok'],
      ['disk cache', 'low'],
    ]);
    const small = evaluate({ ...input, jobs: 8 }, facts({ memoryBytes: 4 * GIB, cores: 2 }, present));
    expect(small.find((row) => row.check === 'memory')).toMatchObject({ status: 'warn', wanted: '>= 2 GiB, 1 GiB per job (use -j 4)' });
    expect(small.find((row) => row.check === 'cores')).toMatchObject({ status: 'warn', found: '2' });
    expect(evaluate(input, facts({ memoryBytes: 1 * GIB }, present)).find((row) => row.check === 'memory')?.status).toBe('low');
    // Low disk or memory has no package to install: --fix says so.
    expect(fixPlan(shared, true)).toEqual({ kind: 'manual', problems: [expect.stringMatching(/^disk work\+cache: 2\.0 GiB free in \/w \(wanted >= /)] });
  });

  it('--fix installs as root and otherwise prints the exact command', () => {
    const rows = evaluate(input, facts({}, { cmake: '3.5.1', makeinfo: undefined, nasm: '2.16.01', ninja: '1.11.1' }));
    expect(fixPlan(rows, true)).toEqual({ kind: 'install', update: ['apt-get', 'update'], install: ['apt-get', 'install', '-y', 'cmake', 'texinfo'] });
    expect(fixPlan(rows, false)).toEqual({ kind: 'ask', command: 'sudo apt-get update && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y cmake texinfo' });
    const fine = evaluate(input, facts({}, { cmake: '3.25.1', makeinfo: '6.8', nasm: '2.16.01', ninja: '1.11.1' }));
    expect(fixPlan(fine, true)).toEqual({ kind: 'nothing' });
  });

  it('prints aligned columns, marking guessed packages', () => {
    const table = formatTable(evaluate(input, facts({}, { cmake: '3.5.1', makeinfo: '6.8', nasm: '2.16.01', ninja: undefined })));
    const lines = table.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^CHECK +STATUS +FOUND +WANTED +DEBIAN PACKAGE +NEEDED BY$/);
    const statusColumn = lines[0]!.indexOf('STATUS');
    for (const line of lines.slice(1)) expect(line.slice(statusColumn)).toMatch(/^(ok|missing|too old|low|warn) /);
    expect(table).toMatch(/^command ninja +missing +not on PATH +any +ninja \(guess\) +libhermit$/m);
  });
});

describe('disk estimates', () => {
  it('adds up the recipes\' figures, says how many are measured, and assumes a default for the others', async () => {
    const { diskNeeds, DEFAULT_ESTIMATE } = await import('../../src/host/disk.js');
    const needs = diskNeeds([
      { host: { disk: { 'work-mib': 619, 'cache-mib': 23, basis: 'measured' } } },
      { host: { disk: { 'work-mib': 900, 'cache-mib': 18, basis: 'estimate' } } },
      { host: { 'gcc-libraries': true } },
      { host: undefined },
    ]);
    expect(needs).toEqual({ workMiB: 619 + 900 + 2 * DEFAULT_ESTIMATE.workMiB, cacheMiB: 23 + 18 + 2 * DEFAULT_ESTIMATE.cacheMiB, measured: 1 });
  });
});

describe('what doctor reads from the recipes', () => {
  it('checks GCC\'s library headers for the recipes that say they need them, whatever their names', async () => {
    const [{ loadToolchain }, { doctorInput }, { tempDir }] = await Promise.all([
      import('../../src/recipes/load.js'),
      import('../../src/commands/doctor.js'),
      import('../support/tmp.js'),
    ]);
    const dir = await tempDir();
    mkdirSync(path.join(dir, 'recipes'));
    const recipe = (name: string, extra = '') => writeFileSync(path.join(dir, 'recipes', `${name}.yaml`), `name: ${name}\nversion: "1"\nsummary: s\nlicense: MIT\n${extra}`);
    recipe('cc1', 'host:\n  gcc-libraries: true\n  disk: { work-mib: 100, cache-mib: 5, basis: measured }\n');
    recipe('gcc-docs');
    const input = doctorInput(await loadToolchain(dir), 1);
    expect(input.gccRecipes).toEqual(['cc1']);
    expect(input.recipes.map((r) => r.host?.disk?.['work-mib'])).toEqual([100, undefined]);
  });
});
