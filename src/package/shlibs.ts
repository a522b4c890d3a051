import { open, realpath } from 'node:fs/promises';
import { execa } from 'execa';
import { HermitError, describeError } from '../errors.js';
import { readElfIdentity, type ElfIdentity } from '../formats/elf-dynamic.js';

/**
 * Shared-library dependencies, the way dpkg-shlibdeps finds them: each DT_NEEDED soname of a
 * host binary is looked up in the dynamic loader's cache (`ldconfig -p`), the library file is
 * mapped to the Debian package that ships it (`dpkg -S`), and the dependency asks for at least
 * the version installed here (`dpkg-query -W`), which is what the binaries were linked against.
 */

export interface CacheEntry {
  readonly soname: string;
  readonly path: string;
}

/** Lines of `ldconfig -p`: "\tlibc.so.6 (libc6,x86-64) => /lib/x86_64-linux-gnu/libc.so.6". */
export function parseLdconfigCache(text: string): CacheEntry[] {
  const entries: CacheEntry[] = [];
  for (const line of text.split('\n')) {
    const match = /^\s+(\S+)\s+\(.*\)\s+=>\s+(\/.+)$/.exec(line);
    if (match) entries.push({ soname: match[1]!, path: match[2]!.trim() });
  }
  return entries;
}

/**
 * The packages `dpkg -S` names for a path ("libc6:amd64: /lib/x86_64-linux-gnu/libc.so.6",
 * several packages comma-separated); diversion notes are skipped.
 */
export function parseDpkgSearch(text: string): string[] {
  const packages: string[] = [];
  for (const line of text.split('\n')) {
    if (line.startsWith('diversion by ') || line.trim() === '') continue;
    const colon = line.indexOf(': ');
    if (colon < 0) continue;
    for (const name of line.slice(0, colon).split(',')) if (name.trim()) packages.push(name.trim());
  }
  return [...new Set(packages)];
}

/** With merged /usr a library is found as /lib/... or /usr/lib/..., but dpkg knows one of them. */
export function pathCandidates(file: string, resolved: string): string[] {
  const candidates = [file, resolved];
  for (const p of [file, resolved]) {
    if (p.startsWith('/usr/')) candidates.push(p.slice(4));
    else candidates.push(`/usr${p}`);
  }
  return [...new Set(candidates)];
}

export interface HostDependency {
  /** Package name without the architecture qualifier. */
  readonly name: string;
  readonly version: string;
}

export class ShlibError extends HermitError {}

async function elfHeader(file: string): Promise<ElfIdentity | undefined> {
  const handle = await open(file, 'r').catch(() => undefined);
  if (!handle) return undefined;
  try {
    const buffer = Buffer.alloc(64);
    const { bytesRead } = await handle.read(buffer, 0, 64, 0);
    return readElfIdentity(buffer.subarray(0, bytesRead));
  } catch {
    return undefined;
  } finally {
    await handle.close();
  }
}

/** The host's package database, asked once per question and remembered. */
export class HostPackages {
  private cache: Promise<CacheEntry[]> | undefined;
  private architectureValue: Promise<string> | undefined;
  private readonly owners = new Map<string, Promise<HostDependency | undefined>>();

  /** `dpkg --print-architecture`: the architecture of host executables we package. */
  architecture(): Promise<string> {
    this.architectureValue ??= execa('dpkg', ['--print-architecture']).then(
      (result) => result.stdout.trim(),
      (error: unknown) => {
        throw new ShlibError(`cannot ask dpkg for the host architecture: ${describeError(error)}`, { cause: error });
      },
    );
    return this.architectureValue;
  }

  private loaderCache(): Promise<CacheEntry[]> {
    this.cache ??= execa('ldconfig', ['-p'], { reject: false }).then((result) => parseLdconfigCache(result.stdout));
    return this.cache;
  }

  /** The library file the loader would use for `soname` in a binary like `binary`. */
  async findLibrary(soname: string, binary: ElfIdentity): Promise<string | undefined> {
    for (const entry of (await this.loaderCache()).filter((e) => e.soname === soname)) {
      const header = await elfHeader(entry.path);
      if (header && header.is64 === binary.is64 && header.machine === binary.machine) return entry.path;
    }
    return undefined;
  }

  /** The package that ships `soname` for a binary like `binary`, with its installed version. */
  async dependencyFor(soname: string, binary: ElfIdentity): Promise<HostDependency | undefined> {
    const key = `${soname} ${binary.is64 ? 64 : 32} ${binary.machine}`;
    let owner = this.owners.get(key);
    if (!owner) {
      owner = this.lookUp(soname, binary);
      this.owners.set(key, owner);
    }
    return owner;
  }

  private async lookUp(soname: string, binary: ElfIdentity): Promise<HostDependency | undefined> {
    const library = await this.findLibrary(soname, binary);
    if (!library) return undefined;
    const resolved = await realpath(library).catch(() => library);
    for (const candidate of pathCandidates(library, resolved)) {
      const search = await execa('dpkg', ['-S', candidate], { reject: false });
      const packages = search.exitCode === 0 ? parseDpkgSearch(search.stdout) : [];
      if (packages.length === 0) continue;
      const qualified = packages[0]!;
      const query = await execa('dpkg-query', ['-W', '-f=${Version}', qualified], { reject: false });
      if (query.exitCode !== 0 || query.stdout.trim() === '') throw new ShlibError(`dpkg-query knows no installed version of ${qualified}`);
      return { name: qualified.replace(/:.*$/, ''), version: query.stdout.trim() };
    }
    throw new ShlibError(`${library} (for ${soname}) belongs to no installed package`);
  }
}
