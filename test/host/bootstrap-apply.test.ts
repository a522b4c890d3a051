import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { sha256Hex } from '../../src/hash.js';
import { BootstrapError, applyAction, type ApplyContext } from '../../src/host/bootstrap-apply.js';
import { serve } from '../support/http.js';
import { tempDir } from '../support/tmp.js';

const DEB = Buffer.from('!<arch>\na package');

async function context(): Promise<{ context: ApplyContext; lines: string[]; dir: string }> {
  const lines: string[] = [];
  return { context: { prefix: '/opt/hermit', target: 'x86_64-hermit', osabiValue: 0xff, dryRun: false, print: (line) => lines.push(line) }, lines, dir: await tempDir() };
}

describe('bootstrap downloads', () => {
  it('fetch a package from the repository and check it against the index', async () => {
    const server = await serve({ '/pool/a.deb': DEB });
    const { context: ctx, dir } = await context();
    const file = path.join(dir, 'archives', 'a.deb');
    await applyAction({ kind: 'download', url: `${server.url}/pool/a.deb`, file, sha256: sha256Hex(DEB), size: DEB.length }, ctx);
    expect(readFileSync(file).equals(DEB)).toBe(true);
  });

  it('refuse a missing package, a short one and one with other bytes, and keep none of them', async () => {
    const server = await serve({ '/pool/a.deb': DEB });
    const { context: ctx, dir } = await context();
    const file = path.join(dir, 'a.deb');
    const url = `${server.url}/pool/a.deb`;
    const attempt = (action: { url: string; sha256?: string; size?: number }): Promise<unknown> =>
      applyAction({ kind: 'download', file, sha256: undefined, size: undefined, ...action }, ctx).catch((e: unknown) => e);
    const missing = await attempt({ url: `${server.url}/pool/b.deb` });
    expect(missing).toBeInstanceOf(BootstrapError);
    expect((missing as Error).message).toBe(`downloading ${server.url}/pool/b.deb failed: HTTP 404`);
    expect(((await attempt({ url, size: 3 })) as Error).message).toBe(`${url}: got ${DEB.length} bytes, the index says 3`);
    expect(((await attempt({ url, sha256: '0'.repeat(64) })) as Error).message).toBe(`${url}: sha256 ${sha256Hex(DEB)} does not match the index (${'0'.repeat(64)})`);
    expect(existsSync(file)).toBe(false);
  });
});
