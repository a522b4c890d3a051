import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { text } from 'node:stream/consumers';
import { describe, expect, it } from 'vitest';
import { RemoteStore, RemoteUnavailable, type RemotePolicy } from '../../src/cache/remote.js';
import { sha256Hex } from '../../src/hash.js';
import { serve, type Handler } from '../support/http.js';
import { tempDir } from '../support/tmp.js';

const QUICK: RemotePolicy = { retries: 2, backoffMs: 1, timeout: { lookup: 1000, connect: 1000, secureConnect: 1000, response: 1000, socket: 1000 } };
const ARCHIVE = Buffer.from('an archive of an image');
const SHA = sha256Hex(ARCHIVE);

async function storeOn(routes: Record<string, Buffer | Handler>): Promise<{ store: RemoteStore; requests: string[] }> {
  const server = await serve(routes);
  return { store: new RemoteStore({ url: server.url, write: true, headers: { authorization: 'Bearer t' } }, QUICK), requests: server.requests };
}

describe('the remote artifact cache client', () => {
  it('reads a manifest, and takes a 404 for "none"', async () => {
    const { store } = await storeOn({ '/ac/k1': Buffer.from('{"manifest":1}') });
    expect(await store.getManifest('k1')).toBe('{"manifest":1}');
    expect(await store.getManifest('k2')).toBeUndefined();
    expect(await store.hasBlob(SHA)).toBe(false);
  });

  it('retries a busy server, then gives up with RemoteUnavailable naming the request', async () => {
    let calls = 0;
    const { store, requests } = await storeOn({
      '/ac/busy-once': (_req, res) => {
        calls += 1;
        if (calls === 1) res.writeHead(503).end();
        else res.writeHead(200).end('late');
      },
      '/ac/busy': (_req, res) => res.writeHead(503).end(),
    });
    expect(await store.getManifest('busy-once')).toBe('late');
    const error = await store.getManifest('busy').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RemoteUnavailable);
    expect((error as Error).message).toMatch(/^GET http:\/\/127\.0\.0\.1:\d+\/ac\/busy: HTTP 503$/);
    expect(requests.filter((r) => r === 'GET /ac/busy')).toHaveLength(QUICK.retries + 1);
  });

  it('does not retry a refusal', async () => {
    const { store, requests } = await storeOn({ '/ac/k': (_req, res) => res.writeHead(401).end() });
    await expect(store.getManifest('k')).rejects.toThrow(/: HTTP 401$/);
    expect(requests).toEqual(['GET /ac/k']);
  });

  it('downloads an archive, hashing it on the way', async () => {
    const dest = path.join(await tempDir(), 'archive');
    const { store } = await storeOn({ [`/cas/${SHA}`]: ARCHIVE });
    expect(await store.download(SHA, dest)).toBe(SHA);
    expect(readFileSync(dest).equals(ARCHIVE)).toBe(true);
    expect(await store.download('0'.repeat(64), dest)).toBeUndefined();
  });

  it('uploads the archive it lacks, then the manifest, with the headers', async () => {
    const dir = await tempDir();
    const archive = path.join(dir, 'archive');
    writeFileSync(archive, ARCHIVE);
    const stored = new Map<string, string>();
    const put: Handler = (req, res) => {
      if (req.method !== 'PUT') return void res.writeHead(404).end();
      void text(req).then((body) => {
        stored.set(`${req.url} ${req.headers.authorization} ${req.headers['content-length']}`, body);
        res.writeHead(201).end();
      });
    };
    const { store, requests } = await storeOn({ [`/cas/${SHA}`]: put, '/ac/key': put });
    await store.upload('key', '{"m":1}', SHA, archive);
    expect(requests).toEqual([`HEAD /cas/${SHA}`, `PUT /cas/${SHA}`, 'PUT /ac/key']);
    expect([...stored]).toEqual([
      [`/cas/${SHA} Bearer t ${ARCHIVE.length}`, ARCHIVE.toString()],
      ['/ac/key Bearer t 7', '{"m":1}'],
    ]);
  });
});
