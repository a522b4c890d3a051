import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa, type ResultPromise } from 'execa';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const CLI = path.join(REPO, 'bin', 'hermit-toolchain.cjs');

export interface CliResult {
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Starts the compiled CLI as users do (`npm test` compiles first), without a terminal. */
export function startCli(args: readonly string[], env: Record<string, string> = {}): ResultPromise<{ reject: false; all: true }> {
  return execa(process.execPath, [CLI, ...args], { reject: false, all: true, env: { CI: '1', ...env } });
}

export async function runCli(args: readonly string[], env: Record<string, string> = {}): Promise<CliResult> {
  const result = await startCli(args, env);
  return { exitCode: result.exitCode ?? -1, stdout: result.stdout, stderr: result.stderr };
}

/** The `summary:` line of a build's output. */
export function summaryOf(stdout: string): string {
  return stdout.split('\n').find((line) => line.startsWith('summary:')) ?? `(no summary line in: ${stdout})`;
}
