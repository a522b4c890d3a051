import { createReadStream, createWriteStream } from 'node:fs';
import { rm, stat } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { describeError } from '../errors.js';
import { HashingStream } from './archive.js';
import type { RemoteSettings } from './settings.js';

/**
 * The remote cache failed us: unreachable, too slow, refusing (401, 403, 405) or broken (5xx).
 * The build goes on without it; only a warning is printed.
 */
export class RemoteUnavailable extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'RemoteUnavailable';
  }
}

export interface RemotePolicy {
  /** Attempts after the first, for network errors, 5xx and 429 only. */
  readonly retries: number;
  /** Delay before the first retry; each later one waits four times longer. */
  readonly backoffMs: number;
  /** got's timeouts: each phase is bounded, and so is every pause in a transfer (socket). */
  readonly timeout: { lookup: number; connect: number; secureConnect: number; response: number; socket: number };
}

export const DEFAULT_POLICY: RemotePolicy = {
  retries: 2,
  backoffMs: 250,
  timeout: { lookup: 5_000, connect: 5_000, secureConnect: 5_000, response: 20_000, socket: 30_000 },
};

/** An HTTP answer that is neither success nor "not found". */
class StatusError extends Error {
  constructor(readonly status: number) {
    super(`HTTP ${status}`);
  }
  get retryable(): boolean {
    return this.status >= 500 || this.status === 429;
  }
}

/**
 * A remote artifact cache over plain HTTP, in one layout that both nginx with WebDAV PUT and
 * bazel-remote serve:
 *
 *   GET|PUT <url>/ac/<task key>    the manifest (JSON)
 *   GET|HEAD|PUT <url>/cas/<sha256> the archive (bazel-remote checks the sha256 on PUT)
 *
 * Headers from HERMIT_CACHE_HEADER go with every request. got is loaded on first use.
 */
export class RemoteStore {
  constructor(
    readonly settings: RemoteSettings,
    private readonly policy: RemotePolicy = DEFAULT_POLICY,
  ) {}

  get url(): string {
    return this.settings.url;
  }
  manifestUrl(key: string): string {
    return `${this.settings.url}/ac/${key}`;
  }
  blobUrl(sha256: string): string {
    return `${this.settings.url}/cas/${sha256}`;
  }

  private async options(): Promise<{ got: typeof import('got').default; base: Record<string, unknown> }> {
    const { default: got } = await import('got');
    return { got, base: { headers: { ...this.settings.headers }, timeout: { ...this.policy.timeout }, retry: { limit: 0 }, throwHttpErrors: false } };
  }

  /** Runs `attempt` with bounded retries; whatever still fails becomes RemoteUnavailable. */
  private async withRetries<T>(what: string, attempt: () => Promise<T>): Promise<T> {
    for (let tried = 0; ; tried += 1) {
      try {
        return await attempt();
      } catch (error) {
        const retryable = error instanceof StatusError ? error.retryable : isNetworkError(error);
        if (!retryable || tried >= this.policy.retries) {
          throw new RemoteUnavailable(`${what}: ${describeError(error)}`, { cause: error });
        }
        await sleep(this.policy.backoffMs * 4 ** tried);
      }
    }
  }

  /** The manifest text stored under `key`, or undefined when the server has none. */
  async getManifest(key: string): Promise<string | undefined> {
    const url = this.manifestUrl(key);
    const { got, base } = await this.options();
    return this.withRetries(`GET ${url}`, async () => {
      const response = await got(url, { ...base, method: 'GET', responseType: 'text' });
      if (response.statusCode === 404) return undefined;
      if (response.statusCode >= 300) throw new StatusError(response.statusCode);
      return response.body;
    });
  }

  async hasBlob(sha256: string): Promise<boolean> {
    const url = this.blobUrl(sha256);
    const { got, base } = await this.options();
    return this.withRetries(`HEAD ${url}`, async () => {
      const response = await got(url, { ...base, method: 'HEAD' });
      if (response.statusCode === 404) return false;
      if (response.statusCode >= 300) throw new StatusError(response.statusCode);
      return true;
    });
  }

  /**
   * Downloads an archive into `dest`, hashing it on the way; returns the sha256 of what arrived
   * (the caller compares it with the manifest). A missing archive is `undefined`.
   */
  async download(sha256: string, dest: string): Promise<string | undefined> {
    const url = this.blobUrl(sha256);
    const { got, base } = await this.options();
    // got's own retries do not work with a piped stream: each attempt starts a fresh request.
    return this.withRetries(`GET ${url}`, async () => {
      const stream = got.stream(url, base);
      const response = await new Promise<{ statusCode: number }>((resolve, reject) => {
        stream.once('response', resolve);
        stream.once('error', reject);
      });
      if (response.statusCode === 404 || response.statusCode >= 300) {
        stream.destroy();
        if (response.statusCode === 404) return undefined;
        throw new StatusError(response.statusCode);
      }
      const hasher = new HashingStream();
      try {
        await pipeline(stream, hasher, createWriteStream(dest));
      } catch (error) {
        await rm(dest, { force: true });
        throw error;
      }
      return hasher.digest();
    });
  }

  /** Uploads the archive (unless the server has it already), then the manifest. */
  async upload(key: string, manifestText: string, sha256: string, archive: string): Promise<void> {
    if (!(await this.hasBlob(sha256))) {
      const size = (await stat(archive)).size;
      await this.put(this.blobUrl(sha256), () => createReadStream(archive), size);
    }
    await this.put(this.manifestUrl(key), () => Buffer.from(manifestText), Buffer.byteLength(manifestText));
  }

  private async put(url: string, body: () => Readable | Buffer, size: number): Promise<void> {
    const { got, base } = await this.options();
    await this.withRetries(`PUT ${url}`, async () => {
      const headers = { ...(base.headers as Record<string, string>), 'content-type': 'application/octet-stream', 'content-length': String(size) };
      const response = await got(url, { ...base, method: 'PUT', headers, body: body() });
      if (response.statusCode >= 300) throw new StatusError(response.statusCode);
    });
  }
}

/** Errors worth another try: the connection failed, reset or timed out. */
function isNetworkError(error: unknown): boolean {
  const code = (error as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' && /^(ECONNREFUSED|ECONNRESET|EPIPE|ETIMEDOUT|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH|ENETUNREACH|ERR_GOT_REQUEST_ERROR|ERR_STREAM_PREMATURE_CLOSE)$/.test(code);
}
