import { access, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { ELF_HEADER_MAX, ElfError, parseElfHeader } from '../formats/elf.js';
import { osabiName } from '../formats/osabi.js';

/**
 * After an install: are the packages installed and intact, does the profile script put the
 * toolchain on PATH, and does the installed compiler turn a hello world into a HermitCore
 * executable? Each check says ok, failed or skipped (and why).
 */

export interface Verdict {
  readonly check: string;
  readonly outcome: 'ok' | 'failed' | 'skipped';
  readonly detail: string;
}

export interface VerifyRequest {
  /** `/` for this machine, else the `--root` folder. */
  readonly root: string;
  readonly admindir: string | undefined;
  readonly packages: readonly string[];
  readonly prefix: string;
  readonly target: string;
  readonly osabiValue: number;
  readonly profileScript: string;
}

export const HELLO_C = '#include <stdio.h>\n\nint main(void)\n{\n\tprintf("Hello, HermitCore!\\n");\n\treturn 0;\n}\n';

const osabiText = (value: number): string => `0x${value.toString(16).padStart(2, '0')}${osabiName(value) ? ` (${osabiName(value)})` : ''}`;

async function packagesInstalled(request: VerifyRequest): Promise<Verdict> {
  const admin = request.admindir ? [`--admindir=${request.admindir}`] : [];
  const result = await execa('dpkg-query', [...admin, '-W', '-f=${Package} ${db:Status-Abbrev}\n', ...request.packages], { reject: false });
  const states = new Map(result.stdout.split('\n').filter(Boolean).map((line) => line.trim().split(/\s+/) as [string, string]));
  const missing = request.packages.filter((name) => states.get(name) !== 'ii');
  if (missing.length > 0) return { check: 'packages installed', outcome: 'failed', detail: `not installed: ${missing.join(', ')}` };
  return { check: 'packages installed', outcome: 'ok', detail: request.packages.join(', ') };
}

/** `dpkg --verify` prints one line per file whose checksum or presence is wrong. */
async function packagesIntact(request: VerifyRequest): Promise<Verdict> {
  const root = request.root === '/' ? [] : [`--root=${request.root}`];
  const result = await execa('dpkg', [...root, '--verify', ...request.packages], { reject: false, all: true });
  const problems = (result.all ?? '').split('\n').filter(Boolean);
  if (result.exitCode !== 0 || problems.length > 0) return { check: 'files intact', outcome: 'failed', detail: problems.slice(0, 5).join('; ') || `dpkg --verify exit code ${result.exitCode}` };
  return { check: 'files intact', outcome: 'ok', detail: 'dpkg --verify found every file as packaged' };
}

async function profileWorks(request: VerifyRequest): Promise<Verdict> {
  const bin = `${request.prefix}/bin`;
  const result = await execa('sh', ['-c', '. "$1" && printf %s "$PATH"', 'sh', request.profileScript], { reject: false, env: { PATH: '/usr/bin:/bin' }, extendEnv: false });
  const entries = result.stdout.split(':');
  if (result.exitCode !== 0 || !entries.includes(bin)) return { check: 'PATH', outcome: 'failed', detail: `${request.profileScript} does not put ${bin} on PATH (got "${result.stdout}")` };
  return { check: 'PATH', outcome: 'ok', detail: `${request.profileScript} puts ${bin} on PATH` };
}

async function compilerWorks(request: VerifyRequest): Promise<Verdict> {
  const compiler = path.join(request.root, request.prefix, 'bin', `${request.target}-gcc`);
  try {
    await access(compiler);
  } catch {
    return { check: 'compiler', outcome: 'skipped', detail: `the installed packages have no ${request.prefix}/bin/${request.target}-gcc: no hello world compiled` };
  }
  const dir = await mkdtemp(path.join(os.tmpdir(), 'ht-hello-'));
  try {
    await writeFile(path.join(dir, 'hello.c'), HELLO_C);
    const result = await execa(compiler, ['-o', 'hello', 'hello.c'], { cwd: dir, reject: false, all: true, timeout: 120_000 });
    if (result.exitCode !== 0) {
      return { check: 'compiler', outcome: 'failed', detail: `${compiler} hello.c: exit code ${result.exitCode}: ${(result.all ?? '').trim().split('\n').slice(-5).join(' / ')}` };
    }
    let osabi: number;
    try {
      osabi = parseElfHeader((await readFile(path.join(dir, 'hello'))).subarray(0, ELF_HEADER_MAX)).osabi;
    } catch (error) {
      if (!(error instanceof ElfError)) throw error;
      return { check: 'compiler', outcome: 'failed', detail: `${compiler} made no valid executable: ${error.message}` };
    }
    if (osabi !== request.osabiValue) {
      return { check: 'compiler', outcome: 'failed', detail: `hello has OS/ABI ${osabiText(osabi)}, the profile wants ${osabiText(request.osabiValue)}` };
    }
    return { check: 'compiler', outcome: 'ok', detail: `${compiler} built hello world, an ELF executable with OS/ABI ${osabiText(osabi)}` };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export async function verifyInstall(request: VerifyRequest): Promise<Verdict[]> {
  return [await packagesInstalled(request), await packagesIntact(request), await profileWorks(request), await compilerWorks(request)];
}
