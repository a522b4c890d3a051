import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer, connect, type AddressInfo } from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { execa, type ResultPromise } from 'execa';
import { afterEach } from 'vitest';

/** A real nginx on 127.0.0.1 with WebDAV PUT, as a remote cache would be set up. */
export interface Nginx {
  readonly url: string;
  /** The document root: what clients PUT lands here. */
  readonly root: string;
  /** One line per request: `METHOD URI STATUS "Authorization header"`. */
  readonly accessLog: string;
  readonly pid: number;
  stop(): Promise<void>;
}

const running: Nginx[] = [];

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function waitForPort(port: number, child: ResultPromise, deadlineMs: number): Promise<void> {
  const until = Date.now() + deadlineMs;
  while (Date.now() < until) {
    if (child.exitCode !== undefined && child.exitCode !== null) throw new Error(`nginx exited with ${child.exitCode}`);
    const ok = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (ok) return;
    await sleep(50);
  }
  throw new Error(`nginx did not listen on port ${port} within ${deadlineMs}ms`);
}

/**
 * Starts nginx in the foreground with everything (pid, temp files, logs, root) in `dir`.
 * `requireAuthorization` makes it answer 401 unless that exact Authorization header comes.
 */
export async function startNginx(dir: string, options: { requireAuthorization?: string } = {}): Promise<Nginx> {
  const root = path.join(dir, 'root');
  mkdirSync(root, { recursive: true });
  const port = await freePort();
  const temp = (name: string): string => path.join(dir, `${name}_temp`);
  const auth = options.requireAuthorization
    ? `if ($http_authorization != "${options.requireAuthorization}") { return 401; }`
    : '';
  const conf = path.join(dir, 'nginx.conf');
  writeFileSync(
    conf,
    `daemon off;
master_process off;
worker_processes 1;
pid ${path.join(dir, 'nginx.pid')};
error_log ${path.join(dir, 'error.log')} warn;
events { worker_connections 64; }
http {
  log_format cache '$request_method $uri $status "$http_authorization"';
  access_log ${path.join(dir, 'access.log')} cache;
  client_body_temp_path ${temp('client_body')};
  proxy_temp_path ${temp('proxy')};
  fastcgi_temp_path ${temp('fastcgi')};
  uwsgi_temp_path ${temp('uwsgi')};
  scgi_temp_path ${temp('scgi')};
  client_max_body_size 1g;
  server {
    listen 127.0.0.1:${port};
    root ${root};
    location / {
      ${auth}
      dav_methods PUT DELETE;
      create_full_put_path on;
      dav_access user:rw group:r all:r;
    }
  }
}
`,
  );
  const child = execa('nginx', ['-p', dir, '-e', path.join(dir, 'error.log'), '-c', conf], { reject: false, stdio: 'ignore' });
  await waitForPort(port, child, 10_000);
  const handle: Nginx = {
    url: `http://127.0.0.1:${port}`,
    root,
    accessLog: path.join(dir, 'access.log'),
    pid: child.pid!,
    stop: async () => {
      child.kill('SIGTERM');
      await child;
    },
  };
  running.push(handle);
  return handle;
}

if (process.env.VITEST) {
  afterEach(async () => {
    await Promise.all(running.splice(0).map((nginx) => nginx.stop()));
  });
}
