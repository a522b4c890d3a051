import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, summaryOf } from '../support/cli.js';
import { makeFixture } from '../support/fixture.js';
import { serve, type Handler } from '../support/http.js';
import { tempDir } from '../support/tmp.js';

/**
 * A server with bazel-remote's HTTP layout and rules: only `/<instance>/ac/<64 hex>` and
 * `/<instance>/cas/<64 hex>` exist, a cas upload must hash to its name, and every request must
 * carry the token.
 */
function bazelRemote(token: string): { handler: Handler; store: Map<string, Buffer>; rejected: string[]; headers: string[] } {
  const store = new Map<string, Buffer>();
  const rejected: string[] = [];
  const headers: string[] = [];
  const handler: Handler = (req, res) => {
    headers.push(String(req.headers['x-cache-token']));
    const match = /^\/hermit\/(ac|cas)\/([0-9a-f]{64})$/.exec(req.url ?? '');
    if (req.headers['x-cache-token'] !== token) return void res.writeHead(401).end();
    if (!match) return void res.writeHead(400).end('bad path');
    const [, kind, hash] = match;
    if (req.method === 'GET' || req.method === 'HEAD') {
      const body = store.get(`${kind}/${hash}`);
      if (!body) return void res.writeHead(404).end();
      res.writeHead(200, { 'content-length': body.length });
      return void res.end(req.method === 'GET' ? body : undefined);
    }
    if (req.method !== 'PUT') return void res.writeHead(405).end();
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      if (kind === 'cas' && createHash('sha256').update(body).digest('hex') !== hash) {
        rejected.push(req.url!);
        return void res.writeHead(400).end('hash mismatch');
      }
      store.set(`${kind}/${hash}`, body);
      res.writeHead(200).end();
    });
  };
  return { handler, store, rejected, headers };
}

describe('remote artifact cache with the bazel-remote layout', () => {
  it('uploads /cas/<sha256> and /ac/<key> and restores from them', async () => {
    const root = await tempDir();
    const fixture = await makeFixture(root);
    const remote = bazelRemote('t0ken');
    const routes = new Proxy({} as Record<string, Handler>, { get: () => remote.handler });
    const server = await serve(routes);
    const env = { HERMIT_CACHE_HEADER: 'X-Cache-Token: t0ken' };
    const url = `${server.url}/hermit`;
    const args = (name: string): string[] => ['--toolchain', fixture.dir, '--work', path.join(root, `work-${name}`), '--cache', path.join(root, `cache-${name}`)];

    const first = await runCli([...args('a'), 'build', '--remote-cache', url, '--remote-cache-write'], env);
    expect(first.stderr).toBe('');
    expect(first.exitCode).toBe(0);
    expect([...remote.store.keys()].filter((k) => k.startsWith('ac/'))).toHaveLength(3);
    expect([...remote.store.keys()].filter((k) => k.startsWith('cas/'))).toHaveLength(3);
    expect(remote.rejected).toEqual([]);
    for (const [name, body] of remote.store) {
      if (name.startsWith('ac/')) expect(JSON.parse(body.toString())).toMatchObject({ format: 1, key: name.slice(3) });
    }

    const second = await runCli([...args('b'), 'build', '--remote-cache', url], env);
    expect(second.stderr).toBe('');
    expect(second.stdout).toContain('cache: 3 restored, 0 stored, 0 misses');
    expect(summaryOf(second.stdout)).toMatch(/^summary: ran 0 tasks, skipped 13, failed 0/);
    expect(execFileSync(path.join(root, 'work-b/image/greet-app/opt/hermit/bin/greet-app')).toString()).toBe('hello from libgreet\n');
    expect(new Set(remote.headers)).toEqual(new Set(['t0ken']));
    // Each archive upload is preceded by a HEAD, so archives a server already has are not sent again.
    for (const put of server.requests.filter((r) => r.startsWith('PUT /hermit/cas/'))) {
      const at = server.requests.indexOf(put);
      expect(server.requests.slice(0, at)).toContain(put.replace('PUT', 'HEAD'));
    }
  });
});
