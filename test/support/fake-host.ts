import { chmodSync, existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { which } from '../../src/process/which.js';
import { REPO } from './cli.js';
import { tempDir } from './tmp.js';

/** What the scripts run besides the programs a fake host fakes. */
const REAL_TOOLS = ['bash', 'grep', 'basename', 'dirname', 'env'];

/** A Debian machine as the shell scripts in scripts/ see it. */
export interface FakeHost {
  /** Packages dpkg-query reports as not installed. */
  readonly missing: readonly string[];
  readonly uid: number;
  readonly sudo: boolean;
  /** apt-get's exit status; `none`: neither apt-get nor dpkg-query is there. */
  readonly apt?: number | 'none';
  /** This Node.js on the PATH, with an npm that only records its calls; without it, no node. */
  readonly node?: boolean;
  /** More of this machine's programs to put on the PATH as they are (git, tar, ...). */
  readonly tools?: readonly string[];
  /** Extra environment of the script. */
  readonly env?: Readonly<Record<string, string>>;
}

export interface ScriptRun {
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
  /** Each call of sudo, apt-get and npm, as `program args...`. */
  readonly calls: string[];
}

function fake(bin: string, name: string, body: string): void {
  writeFileSync(path.join(bin, name), `#!/bin/sh\n${body}\n`);
  chmodSync(path.join(bin, name), 0o755);
}

/**
 * Runs `scripts/<script>` with a PATH of fakes only: dpkg-query answers from `missing`, id from
 * `uid`, and sudo, apt-get and npm record their arguments and install nothing, so the paths of a
 * fresh machine are taken without touching this one's packages or node_modules.
 */
export async function runOnFakeHost(script: string, args: readonly string[], host: FakeHost): Promise<ScriptRun> {
  const root = await tempDir();
  const bin = path.join(root, 'bin');
  mkdirSync(bin);
  for (const tool of [...REAL_TOOLS, ...(host.tools ?? [])]) {
    const real = await which(tool, process.env.PATH);
    if (!real) throw new Error(`${tool} is not installed`);
    symlinkSync(real, path.join(bin, tool));
  }
  const calls = path.join(root, 'calls');
  fake(bin, 'id', `echo ${host.uid}`);
  if (host.apt !== 'none') {
    fake(bin, 'dpkg-query', `for package; do :; done\ncase " ${host.missing.join(' ')} " in *" $package "*) exit 1 ;; esac\nprintf 'install ok installed'`);
    fake(bin, 'apt-get', `echo "apt-get $*" >> ${calls}\nexit ${host.apt ?? 0}`);
  }
  // A real sudo would run the command: this one runs the fake apt-get through the real env.
  if (host.sudo) fake(bin, 'sudo', `echo "sudo $*" >> ${calls}\nexec "$@"`);
  if (host.node) {
    symlinkSync(process.execPath, path.join(bin, 'node'));
    fake(bin, 'npm', `echo "npm $*" >> ${calls}`);
  }
  const result = await execa(path.join(bin, 'bash'), [path.join(REPO, 'scripts', script), ...args], { env: { ...host.env, PATH: bin }, extendEnv: false, reject: false });
  return {
    exitCode: result.exitCode ?? -1,
    stdout: result.stdout,
    stderr: result.stderr,
    calls: existsSync(calls) ? readFileSync(calls, 'utf8').trim().split('\n') : [],
  };
}
