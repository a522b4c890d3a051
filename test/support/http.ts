import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach } from 'vitest';

export type Handler = (req: IncomingMessage, res: ServerResponse) => void;

export interface TestServer {
  readonly url: string;
  /** Requests seen, as "METHOD /path". */
  readonly requests: string[];
  close(): Promise<void>;
}

const open: TestServer[] = [];

/** Serves bytes or custom handlers on 127.0.0.1 (a random port), closed after the current test. */
export async function serve(routes: Record<string, Buffer | Handler>): Promise<TestServer> {
  const requests: string[] = [];
  const server = createServer((req, res) => {
    requests.push(`${req.method} ${req.url}`);
    const route = routes[new URL(req.url ?? '/', 'http://x').pathname];
    if (route === undefined) {
      res.writeHead(404).end('not found');
    } else if (Buffer.isBuffer(route)) {
      res.writeHead(200, { 'content-length': route.length }).end(route);
    } else {
      route(req, res);
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const handle: TestServer = {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  open.push(handle);
  return handle;
}

// Also usable from scripts outside vitest (e.g. to serve the fixture by hand).
if (process.env.VITEST) {
  afterEach(async () => {
    await Promise.all(open.splice(0).map((server) => server.close()));
  });
}
