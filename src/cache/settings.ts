import path from 'node:path';
import { UserError } from '../errors.js';
import type { ProfileCache } from '../recipes/profile.js';

/** The environment variable holding the header sent to the remote cache (a secret: never logged). */
export const HEADER_VARIABLE = 'HERMIT_CACHE_HEADER';

export interface RemoteSettings {
  /** Base URL, without a trailing slash; objects live at `<url>/ac/<key>` and `<url>/cas/<sha256>`. */
  readonly url: string;
  readonly write: boolean;
  readonly headers: Readonly<Record<string, string>>;
}

export interface CacheSettings {
  /** The artifact cache: undefined when turned off. */
  readonly artifacts: { readonly dir: string; readonly remote: RemoteSettings | undefined; readonly restore: boolean } | undefined;
  /** Compiler caching: undefined unless asked for. */
  readonly ccache: { readonly dir: string; readonly remoteStorage: string | undefined } | undefined;
}

/** What the command line says about caching (flags win over the profile). */
export interface CacheFlags {
  /** false for --no-artifact-cache. */
  readonly artifactCache?: boolean | undefined;
  /** false for --no-restore: store what is built, restore nothing (a clean build that fills the cache). */
  readonly restore?: boolean | undefined;
  readonly remoteCache?: string | undefined;
  readonly remoteCacheWrite?: boolean | undefined;
  readonly ccache?: boolean | undefined;
}

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/**
 * Reads `Name: value` lines (one header per line). The value is a credential, so errors name
 * the variable and the line number, never the text.
 */
export function parseHeaders(text: string | undefined): Record<string, string> {
  const headers: Record<string, string> = {};
  if (text === undefined || text.trim() === '') return headers;
  for (const [index, line] of text.split(/\r?\n/).entries()) {
    if (line.trim() === '') continue;
    const colon = line.indexOf(':');
    const name = colon > 0 ? line.slice(0, colon).trim() : '';
    const value = line.slice(colon + 1).trim();
    if (!TOKEN.test(name) || value === '' || /[\r\n\0]/.test(value)) {
      throw new UserError(`${HEADER_VARIABLE}, line ${index + 1}: must look like "Name: value" (e.g. "Authorization: Bearer <token>")`);
    }
    headers[name] = value;
  }
  return headers;
}

export function normalizeRemoteUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch (error) {
    throw new UserError(`--remote-cache: "${url}" is not a URL`, { cause: error });
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new UserError(`--remote-cache: "${url}" must be an http:// or https:// URL`);
  if (parsed.username || parsed.password) {
    throw new UserError(`--remote-cache: put credentials in ${HEADER_VARIABLE}, not in the URL (command lines are visible to every user)`);
  }
  return parsed.toString().replace(/\/+$/, '');
}

/** Combines flags, profile and environment into what the build uses. Pure. */
export function resolveCacheSettings(cacheDir: string, profile: ProfileCache, flags: CacheFlags, env: NodeJS.ProcessEnv): CacheSettings {
  const remoteUrl = flags.remoteCache ?? profile.remote;
  const write = flags.remoteCacheWrite ?? profile.remoteWrite;
  if (write && remoteUrl === undefined) throw new UserError('--remote-cache-write needs a remote cache (--remote-cache URL or cache.remote in the profile)');
  const artifactsOn = flags.artifactCache ?? true;
  const remote = artifactsOn && remoteUrl !== undefined ? { url: normalizeRemoteUrl(remoteUrl), write, headers: parseHeaders(env[HEADER_VARIABLE]) } : undefined;
  const ccacheOn = flags.ccache ?? profile.ccache;
  return {
    artifacts: artifactsOn ? { dir: path.join(cacheDir, 'artifacts'), remote, restore: flags.restore ?? true } : undefined,
    ccache: ccacheOn ? { dir: path.join(cacheDir, 'ccache'), remoteStorage: env.CCACHE_REMOTE_STORAGE ?? profile.ccacheRemote } : undefined,
  };
}
