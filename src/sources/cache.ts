import path from 'node:path';

/** Downloads are content-addressed: the checksum names the folder, so a URL change costs nothing. */
export function downloadPath(cacheDir: string, sha256: string, file: string): string {
  return path.join(cacheDir, 'downloads', sha256, file);
}

/** The cache file name of a url source: `file`, or the last segment of the URL. */
export function fileNameOf(url: string, explicit?: string): string {
  if (explicit) return explicit;
  const last = decodeURIComponent(new URL(url).pathname.split('/').filter(Boolean).at(-1) ?? '');
  if (!last || last === '.' || last === '..') throw new Error(`cannot tell a file name from ${url}; give source.file`);
  return last;
}
