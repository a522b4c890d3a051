import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/** A .deb built by dpkg-deb from `files`, its data member compressed as `compression` says (xz unless told). */
export function buildDeb(root: string, name: string, version: string, files: Record<string, Buffer | string>, compression: 'xz' | 'gzip' | 'zstd' | 'none' = 'xz'): string {
  const tree = path.join(root, `${name}-tree`);
  mkdirSync(path.join(tree, 'DEBIAN'), { recursive: true });
  writeFileSync(
    path.join(tree, 'DEBIAN/control'),
    `Package: ${name}\nVersion: ${version}\nArchitecture: all\nMaintainer: Test <test@example.org>\nDescription: test package ${name}\n`,
  );
  for (const [file, data] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(tree, file)), { recursive: true });
    writeFileSync(path.join(tree, file), data);
  }
  const deb = path.join(root, `${name}_${version}_all.deb`);
  execFileSync('dpkg-deb', ['--root-owner-group', `-Z${compression}`, '-b', tree, deb], { stdio: 'ignore' });
  return deb;
}

/**
 * A private apt setup serving the given .debs from a file: repository, so that `apt-get download`
 * works without touching the machine's own apt state. Returns the APT_CONFIG file to use.
 */
export function privateApt(root: string, debs: readonly string[]): string {
  const repo = path.join(root, 'repo');
  mkdirSync(repo, { recursive: true });
  const stanzas = debs.map((deb) => {
    const name = path.basename(deb);
    const data = readFileSync(deb);
    execFileSync('cp', [deb, path.join(repo, name)]);
    const control = execFileSync('dpkg-deb', ['-f', deb]).toString().trimEnd();
    const sum = (algorithm: string) => createHash(algorithm).update(data).digest('hex');
    return `${control}\nFilename: ./${name}\nSize: ${data.length}\nMD5sum: ${sum('md5')}\nSHA256: ${sum('sha256')}\n`;
  });
  writeFileSync(path.join(repo, 'Packages'), stanzas.join('\n'));
  const state = path.join(root, 'apt');
  for (const dir of ['lists/partial', 'cache/archives/partial', 'etc/preferences.d', 'etc/sources.list.d']) mkdirSync(path.join(state, dir), { recursive: true });
  writeFileSync(path.join(state, 'etc/sources.list'), `deb [trusted=yes] file:${repo} ./\n`);
  const config = path.join(state, 'apt.conf');
  writeFileSync(
    config,
    [
      `Dir::State "${state}";`,
      `Dir::State::Lists "${state}/lists";`,
      `Dir::Cache "${state}/cache";`,
      `Dir::Etc::SourceList "${state}/etc/sources.list";`,
      `Dir::Etc::SourceParts "${state}/etc/sources.list.d";`,
      `Dir::Etc::PreferencesParts "${state}/etc/preferences.d";`,
      'APT::Sandbox::User "root";',
    ].join('\n') + '\n',
  );
  execFileSync('apt-get', ['update', '-qq'], { env: { ...process.env, APT_CONFIG: config }, stdio: 'ignore' });
  return config;
}
