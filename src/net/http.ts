import type { IncomingHttpHeaders } from 'node:http';
import type { Readable } from 'node:stream';
import type { Got } from 'got';
import { HermitError } from '../errors.js';

/**
 * The one HTTP client: got, loaded on first use (a build with nothing to fetch never pays for
 * it). Requests are made once: retrying is src/net/retry.ts's business, so that a stream that
 * resumes or a body that must be hashed again starts each attempt itself. Error statuses are
 * answers, not exceptions: each caller decides what a 404 means.
 */

/** Bounds for each phase of a request; `socket` bounds every pause in a transfer. */
export interface HttpTimeouts {
  readonly lookup?: number;
  readonly connect?: number;
  readonly secureConnect?: number;
  readonly response?: number;
  readonly socket?: number;
}

export interface HttpOptions {
  readonly headers?: Readonly<Record<string, string>> | undefined;
  readonly timeout?: HttpTimeouts | undefined;
  readonly signal?: AbortSignal | undefined;
}

export interface HttpRequest extends HttpOptions {
  readonly method?: 'GET' | 'HEAD' | 'PUT';
  readonly body?: Buffer | Readable;
}

export interface HttpResponse<Body> {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: Body;
}

/** The server answered with a status the caller cannot use. */
export class HttpStatusError extends HermitError {
  constructor(readonly status: number) {
    super(`HTTP ${status}`);
  }
}

export function isSuccess(status: number): boolean {
  return status >= 200 && status < 300;
}

let loaded: Promise<Got> | undefined;

function client(): Promise<Got> {
  loaded ??= import('got').then(({ default: got }) => got);
  return loaded;
}

// The return type is left to inference: got picks its overload (stream or buffer) from it.
function gotOptions(options: HttpOptions) {
  return {
    headers: { ...options.headers },
    timeout: { ...options.timeout },
    retry: { limit: 0 },
    throwHttpErrors: false,
    ...(options.signal ? { signal: options.signal } : {}),
  };
}

/** One request, its whole body read into memory. */
export async function request(url: string, options: HttpRequest = {}): Promise<HttpResponse<Buffer>> {
  const got = await client();
  const response = await got(url, {
    ...gotOptions(options),
    method: options.method ?? 'GET',
    ...(options.body === undefined ? {} : { body: options.body }),
    responseType: 'buffer',
  });
  return { status: response.statusCode, headers: response.headers, body: response.body };
}

/**
 * A GET whose body is read as it arrives: resolves once the status and headers are in. A caller
 * that does not read the body destroys it.
 */
export async function openStream(url: string, options: HttpOptions = {}): Promise<HttpResponse<Readable>> {
  const got = await client();
  const stream = got.stream(url, gotOptions(options));
  const response = await new Promise<{ statusCode: number; headers: IncomingHttpHeaders }>((resolve, reject) => {
    stream.once('response', resolve);
    stream.once('error', reject);
  });
  return { status: response.statusCode, headers: response.headers, body: stream };
}
