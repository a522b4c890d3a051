import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { z } from 'zod';
import { OSABI_NAMES, parseOsabi } from '../formats/osabi.js';
import { COMPRESSIONS, type Compression } from '../formats/compression.js';

/** The toolchain profile (`toolchain.yaml`): values shared by every recipe. */
export const profileFileSchema = z.strictObject({
  target: z.string().regex(/^[a-z0-9_]+(-[a-z0-9_.]+)+$/, 'must be a GNU triplet such as x86_64-hermit').default('x86_64-hermit'),
  prefix: z.string().regex(/^\/\S*[^/]$/, 'must be an absolute path without a trailing slash').default('/opt/hermit'),
  /** ELF OS/ABI stamped on target objects: a name (Standalone, HermitCore, ...) or 0-255. */
  osabi: z
    .union([z.string().min(1), z.number()])
    .refine((value) => parseOsabi(value) !== undefined, {
      message: `must be 0-255 or one of ${OSABI_NAMES.map(([name]) => name).join(', ')}`,
    })
    .default('Standalone'),
  maintainer: z
    .string()
    .regex(/^[^<>]+ <[^<>@\s]+@[^<>\s]+>$/, 'must look like `Name <address>`')
    .default('HermitCore toolchain builders <toolchain@hermit-os.org>'),
  /** Debian revision appended to every upstream version (`2.40-1`). */
  revision: z.string().regex(/^[0-9A-Za-z.+~]+$/, 'must be a Debian revision such as 1 or 0.1').default('1'),
  /**
   * Premirrors, tried before every upstream URL (like Yocto's PREMIRRORS): base URLs, or folders
   * (relative to the toolchain directory) holding the files by name and git repositories by name.
   */
  mirrors: z.array(z.string().min(1)).default([]),
  /** Timestamp used for every file in the packages and the repository index. */
  'source-date-epoch': z.number().int().nonnegative().default(1672531200),
  /** Shared caches (see src/cache/): none of these change what is built, so none enter a key. */
  cache: z
    .strictObject({
      /** Base URL of a remote artifact cache (`<url>/ac/<task key>`, `<url>/cas/<sha256>`). */
      remote: z.string().regex(/^https?:\/\/\S+$/, 'must be an http:// or https:// URL').optional(),
      /** Upload artifacts built here to the remote cache. */
      'remote-write': z.boolean().default(false),
      /** Wrap every compiler in ccache. */
      ccache: z.boolean().default(false),
      /** ccache's own remote storage (its `remote_storage` setting); CCACHE_REMOTE_STORAGE wins. */
      'ccache-remote': z.string().min(1).optional(),
    })
    .prefault({}),
  /** How the members of the .deb files are compressed (`--compress` overrides it). */
  compression: z.enum(COMPRESSIONS).default('xz'),
});
export type ProfileFile = z.infer<typeof profileFileSchema>;

export interface Profile {
  readonly target: string;
  readonly prefix: string;
  /** As written in the profile (a name or a number). */
  readonly osabi: string | number;
  /** Its numeric value, 0-255. */
  readonly osabiValue: number;
  readonly maintainer: string;
  readonly revision: string;
  readonly sourceDateEpoch: number;
  readonly compression: Compression;
  /** Premirror base URLs; folders are already turned into file:// URLs. */
  readonly mirrors: readonly string[];
  readonly cache: ProfileCache;
}

export interface ProfileCache {
  readonly remote: string | undefined;
  readonly remoteWrite: boolean;
  readonly ccache: boolean;
  readonly ccacheRemote: string | undefined;
}

/** A premirror entry as a base URL: URLs stay, folders become absolute file:// URLs. */
export function mirrorUrl(entry: string, baseDir: string): string {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(entry)) return entry.replace(/\/+$/, '');
  return pathToFileURL(path.resolve(baseDir, entry)).href;
}

export function toProfile(file: ProfileFile, baseDir = process.cwd()): Profile {
  return {
    target: file.target,
    prefix: file.prefix,
    osabi: file.osabi,
    osabiValue: parseOsabi(file.osabi)!,
    maintainer: file.maintainer,
    revision: file.revision,
    sourceDateEpoch: file['source-date-epoch'],
    compression: file.compression,
    mirrors: file.mirrors.map((entry) => mirrorUrl(entry, baseDir)),
    cache: {
      remote: file.cache.remote,
      remoteWrite: file.cache['remote-write'],
      ccache: file.cache.ccache,
      ccacheRemote: file.cache['ccache-remote'],
    },
  };
}
