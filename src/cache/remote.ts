import { createReadStream, createWriteStream } from 'node:fs';
import { rm, stat } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { HermitError, describeError } from '../errors.js';
import { HashingStream } from '../hash.js';
import { HttpStatusError, isSuccess, openStream, request, type HttpOptions, type HttpTimeouts } from '../net/http.js';
import { withRetries } from '../net/retry.js';
import type { RemoteSettings } from './settings.js';

/**
 * The remote cache failed us: unreachable, too slow, refusing (401, 403, 405) or broken (5xx).
 * The build goes on without it; only a warning is printed.
 */
export class RemoteUnavailable extends HermitError {}

export interface RemotePolicy {
  /** Attempts after the first, for the failures src/net/retry.ts calls transient. */
  readonly retries: number;
  /** Delay before the first retry; each later one waits four times longer. */
  readonly backoffMs: number;
  /** Each phase is bounded, and so is every pause in a transfer (socket). */
  readonly timeout: Required<HttpTimeouts>;
}

export const DEFAULT_POLICY: RemotePolicy = {
  retries: 2,
  backoffMs: 250,
  timeout: { lookup: 5_000, connect: 5_000, secureConnect: 5_000, response: 20_000, socket: 30_000 },
};

/**
 * A remote artifact cache over plain HTTP, in one layout that both nginx with WebDAV PUT and
 * bazel-remote serve:
 *
 *   GET|PUT <url>/ac/<task key>    the manifest (JSON)
 *   GET|HEAD|PUT <url>/cas/<sha256> the archive (bazel-remote checks the sha256 on PUT)
 *
 * Headers from HERMIT_CACHE_HEADER go with every request.
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

  private options(): HttpOptions {
    return { headers: this.settings.headers, timeout: this.policy.timeout };
  }

  /** Runs `attempt` with bounded retries; whatever still fails becomes RemoteUnavailable. */
  private async withRetries<T>(what: string, attempt: () => Promise<T>): Promise<T> {
    try {
      return await withRetries(attempt, { attempts: this.policy.retries + 1, backoffMs: this.policy.backoffMs, factor: 4 });
    } catch (error) {
      throw new RemoteUnavailable(`${what}: ${describeError(error)}`, { cause: error });
    }
  }

  /** The manifest text stored under `key`, or undefined when the server has none. */
  async getManifest(key: string): Promise<string | undefined> {
    const url = this.manifestUrl(key);
    return this.withRetries(`GET ${url}`, async () => {
      const response = await request(url, this.options());
      if (response.status === 404) return undefined;
      if (!isSuccess(response.status)) throw new HttpStatusError(response.status);
      return response.body.toString('utf8');
    });
  }

  async hasBlob(sha256: string): Promise<boolean> {
    const url = this.blobUrl(sha256);
    return this.withRetries(`HEAD ${url}`, async () => {
      const response = await request(url, { ...this.options(), method: 'HEAD' });
      if (response.status === 404) return false;
      if (!isSuccess(response.status)) throw new HttpStatusError(response.status);
      return true;
    });
  }

  /**
   * Downloads an archive into `dest`, hashing it on the way; returns the sha256 of what arrived
   * (the caller compares it with the manifest). A missing archive is `undefined`.
   */
  async download(sha256: string, dest: string): Promise<string | undefined> {
    const url = this.blobUrl(sha256);
    // Each attempt opens a fresh stream: a piped body cannot be replayed.
    return this.withRetries(`GET ${url}`, async () => {
      const response = await openStream(url, this.options());
      if (!isSuccess(response.status)) {
        response.body.destroy();
        if (response.status === 404) return undefined;
        throw new HttpStatusError(response.status);
      }
      const hasher = new HashingStream();
      try {
        await pipeline(response.body, hasher, createWriteStream(dest));
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
    await this.withRetries(`PUT ${url}`, async () => {
      const headers = { ...this.settings.headers, 'content-type': 'application/octet-stream', 'content-length': String(size) };
      const response = await request(url, { ...this.options(), method: 'PUT', headers, body: body() });
      if (!isSuccess(response.status)) throw new HttpStatusError(response.status);
    });
  }
}
