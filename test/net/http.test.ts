import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { describe, expect, it } from 'vitest';
import { HttpStatusError, isSuccess, openStream, request } from '../../src/net/http.js';
import { isTransient } from '../../src/net/retry.js';
import { serve } from '../support/http.js';

/** What a handler saw of a request: method, headers and the whole body. */
interface Seen {
  method: string | undefined;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

describe('the HTTP client', () => {
  it('reads a whole answer, status, headers and body', async () => {
    const server = await serve({
      '/hello': (_req, res) => {
        res.writeHead(200, { 'content-type': 'text/plain', 'x-answer': '42' }).end('hello, world');
      },
    });
    const response = await request(`${server.url}/hello`);
    expect(response.status).toBe(200);
    expect(response.headers['x-answer']).toBe('42');
    expect(response.body.toString('utf8')).toBe('hello, world');
  });

  it('returns an error status instead of throwing, and asks only once', async () => {
    const server = await serve({ '/busy': (_req, res) => res.writeHead(503).end('busy') });
    const busy = await request(`${server.url}/busy`);
    const missing = await request(`${server.url}/missing`);
    expect([busy.status, missing.status]).toEqual([503, 404]);
    expect(server.requests).toEqual(['GET /busy', 'GET /missing']);
    expect([isSuccess(busy.status), isSuccess(missing.status), isSuccess(204)]).toEqual([false, false, true]);
  });

  it('sends the given headers, and PUTs a buffer or a stream', async () => {
    const seen: Seen[] = [];
    const server = await serve({
      '/put': (req, res) => {
        void text(req).then((body) => {
          seen.push({ method: req.method, headers: req.headers, body });
          res.writeHead(201).end();
        });
      },
    });
    const headers = { authorization: 'Bearer token', 'content-type': 'application/octet-stream' };
    const fromBuffer = await request(`${server.url}/put`, { method: 'PUT', headers, body: Buffer.from('bytes') });
    const fromStream = await request(`${server.url}/put`, { method: 'PUT', headers: { ...headers, 'content-length': '6' }, body: Readable.from([Buffer.from('str'), Buffer.from('eam')]) });
    expect([fromBuffer.status, fromStream.status]).toEqual([201, 201]);
    expect(seen.map((s) => [s.method, s.headers.authorization, s.body])).toEqual([
      ['PUT', 'Bearer token', 'bytes'],
      ['PUT', 'Bearer token', 'stream'],
    ]);
  });

  it('answers HEAD with the status alone', async () => {
    const server = await serve({ '/blob': Buffer.from('content') });
    const response = await request(`${server.url}/blob`, { method: 'HEAD' });
    expect(response.status).toBe(200);
    expect(response.body.length).toBe(0);
    expect(server.requests).toEqual(['HEAD /blob']);
  });

  it('streams a body as it arrives, once the status is in', async () => {
    const body = Buffer.alloc(200_000, 'x');
    let range: string | undefined;
    const server = await serve({
      '/file': (req, res) => {
        range = req.headers.range;
        res.writeHead(206, { 'content-length': body.length });
        res.write(body.subarray(0, 100_000), () => setTimeout(() => res.end(body.subarray(100_000)), 20));
      },
    });
    const response = await openStream(`${server.url}/file`, { headers: { range: 'bytes=10-' } });
    expect(response.status).toBe(206);
    expect(response.headers['content-length']).toBe(String(body.length));
    const chunks: Buffer[] = [];
    for await (const chunk of response.body as AsyncIterable<Buffer>) chunks.push(chunk);
    expect(Buffer.concat(chunks).equals(body)).toBe(true);
    expect(chunks.length).toBeGreaterThan(1);
    expect(range).toBe('bytes=10-');
  });

  it('gives an error status of a stream to the caller, who may leave the body unread', async () => {
    const server = await serve({});
    const response = await openStream(`${server.url}/nothing`);
    expect(response.status).toBe(404);
    response.body.destroy();
  });

  it('times out a server that does not answer, as a transient failure', async () => {
    const server = await serve({ '/silent': () => {} });
    const started = Date.now();
    const error = await request(`${server.url}/silent`, { timeout: { response: 200 } }).catch((e: unknown) => e);
    expect(Date.now() - started).toBeLessThan(5000);
    expect((error as Error).name).toBe('TimeoutError');
    expect(isTransient(error)).toBe(true);
    expect(server.requests).toHaveLength(1);
  });

  it('times out a body that stalls', async () => {
    const server = await serve({
      '/stall': (_req, res) => {
        res.writeHead(200, { 'content-length': 1000 });
        res.write('just the start');
      },
    });
    const response = await openStream(`${server.url}/stall`, { timeout: { socket: 200 } });
    const error = await (async () => {
      for await (const _chunk of response.body) {
        // Read until it fails.
      }
    })().catch((e: unknown) => e);
    expect(isTransient(error)).toBe(true);
  });

  it('fails a refused connection as a transient failure', async () => {
    const error = await request('http://127.0.0.1:9/').catch((e: unknown) => e);
    expect((error as { code?: string }).code).toBe('ECONNREFUSED');
    expect(isTransient(error)).toBe(true);
  });

  it('stops when its signal is aborted', async () => {
    const server = await serve({ '/slow': () => {} });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    const error = await openStream(`${server.url}/slow`, { signal: controller.signal }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    expect(isTransient(error)).toBe(false);
  });

  it('names a status it cannot use in one line', () => {
    const error = new HttpStatusError(401);
    expect(error.message).toBe('HTTP 401');
    expect(error.name).toBe('HttpStatusError');
  });
});
