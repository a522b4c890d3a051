import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { execa } from 'execa';

/**
 * apt with every folder of its own (lists, cache, sources, configuration), so tests use a
 * repository of ours without touching the machine's apt state. It reads the machine's dpkg
 * status (read-only, no locks) so that simulated installs resolve libc6 and friends.
 */
export interface AptSandbox {
  readonly dir: string;
  run(command: 'apt-get' | 'apt-cache', args: readonly string[]): Promise<{ exitCode: number; output: string }>;
}

export async function aptSandbox(dir: string, sourceLine: string): Promise<AptSandbox> {
  for (const sub of ['state/lists/partial', 'cache/archives/partial', 'etc/apt.conf.d', 'etc/preferences.d', 'etc/trusted.gpg.d']) {
    await mkdir(path.join(dir, sub), { recursive: true });
  }
  await writeFile(path.join(dir, 'sources.list'), `${sourceLine}\n`);
  const config = {
    'Dir::State': path.join(dir, 'state'),
    'Dir::State::status': '/var/lib/dpkg/status',
    'Dir::Cache': path.join(dir, 'cache'),
    'Dir::Etc::SourceList': path.join(dir, 'sources.list'),
    'Dir::Etc::SourceParts': '-',
    'Dir::Etc::Parts': path.join(dir, 'etc/apt.conf.d'),
    'Dir::Etc::PreferencesParts': path.join(dir, 'etc/preferences.d'),
    'Dir::Etc::Trusted': path.join(dir, 'etc/trusted.gpg'),
    'Dir::Etc::TrustedParts': path.join(dir, 'etc/trusted.gpg.d'),
    'Dir::Log': path.join(dir, 'log'),
    'APT::Sandbox::User': 'root',
    'Debug::NoLocking': 'true',
    'Acquire::Languages': 'none',
  };
  const aptConf = path.join(dir, 'apt.conf');
  await writeFile(aptConf, Object.entries(config).map(([key, value]) => `${key} "${value}";\n`).join(''));
  return {
    dir,
    run: async (command, args) => {
      const result = await execa(command, args, { env: { APT_CONFIG: aptConf, LC_ALL: 'C' }, reject: false, all: true, timeout: 60_000 });
      return { exitCode: result.exitCode ?? -1, output: result.all ?? '' };
    },
  };
}
