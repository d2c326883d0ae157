import http from 'node:http';
import https from 'node:https';

/** The parts of a fetch Response the `openai` SDK reads for a non-streaming JSON call. */
class LeanHeaders {
  constructor(private readonly raw: http.IncomingHttpHeaders) {}

  get(name: string): string | null {
    const v = this.raw[name.toLowerCase()];
    if (v === undefined) return null;
    return Array.isArray(v) ? v.join(', ') : String(v);
  }

  has(name: string): boolean {
    return this.raw[name.toLowerCase()] !== undefined;
  }

  *entries(): IterableIterator<[string, string]> {
    for (const [k, v] of Object.entries(this.raw)) if (v !== undefined) yield [k, Array.isArray(v) ? v.join(', ') : String(v)];
  }

  forEach(fn: (value: string, key: string) => void): void {
    for (const [k, v] of this.entries()) fn(v, k);
  }

  [Symbol.iterator](): IterableIterator<[string, string]> {
    return this.entries();
  }
}

/** A buffered response: the body is read in full before the promise resolves (OpenAI-compatible answers are small JSON). */
class LeanResponse {
  readonly ok: boolean;
  readonly headers: LeanHeaders;
  readonly body = null;
  readonly bodyUsed = false;
  readonly redirected = false;
  readonly type = 'basic';

  constructor(
    readonly url: string,
    readonly status: number,
    readonly statusText: string,
    headers: http.IncomingHttpHeaders,
    private readonly buf: Buffer,
  ) {
    this.ok = status >= 200 && status < 300;
    this.headers = new LeanHeaders(headers);
  }

  async text(): Promise<string> {
    return this.buf.toString('utf8');
  }

  async json(): Promise<unknown> {
    return JSON.parse(this.buf.toString('utf8'));
  }

  async arrayBuffer(): Promise<ArrayBuffer> {
    return this.buf.buffer.slice(this.buf.byteOffset, this.buf.byteOffset + this.buf.byteLength) as ArrayBuffer;
  }
}

/** An Error that the SDK recognises as an abort (it then reports a timeout or a user abort, as with fetch). */
function abortError(reason: unknown): Error {
  const e = new Error(reason instanceof Error ? reason.message : 'This operation was aborted');
  e.name = 'AbortError';
  return e;
}

function headerRecord(h: RequestInit['headers']): Record<string, string> {
  const out: Record<string, string> = {};
  if (!h) return out;
  if (typeof (h as Headers).forEach === 'function' && !Array.isArray(h)) {
    (h as Headers).forEach((v, k) => (out[k] = v));
  } else if (Array.isArray(h)) {
    for (const [k, v] of h) out[k] = v;
  } else {
    Object.assign(out, h);
  }
  return out;
}

export interface KeepAliveFetchOptions {
  /** Sockets per origin (default unlimited: the clients' limiters bound concurrency); more requests queue in the agent. */
  maxSockets?: number;
  /**
   * Idle time after which a pooled socket is closed (default 4 s): below uvicorn's 5 s keep-alive, so vLLM never
   * closes a socket the moment we reuse it. Only idle sockets are affected, never a request waiting on a long answer.
   */
  idleTimeoutMs?: number;
}

/**
 * A `fetch` for the openai SDK's `fetch` option, on node:http(s) with a keep-alive agent: the SDK keeps its
 * request building, error classes and retry semantics, and each call skips undici's WHATWG streams and
 * Request/Response objects, which cost more CPU than the HTTP exchange itself against a fast local server.
 * Bodies must be strings or buffers (the SDK sends JSON strings for non-streaming calls).
 */
export function keepAliveFetch(opts: KeepAliveFetchOptions = {}): typeof fetch {
  const maxSockets = Math.max(1, opts.maxSockets ?? Infinity);
  const agentOpts: http.AgentOptions = {
    keepAlive: true,
    maxSockets,
    maxFreeSockets: Number.isFinite(maxSockets) ? maxSockets : 1024,
    timeout: opts.idleTimeoutMs ?? 4000,
    scheduling: 'lifo',
  };
  const httpAgent = new http.Agent(agentOpts);
  const httpsAgent = new https.Agent(agentOpts);
  const leanFetch = (input: string | URL | Request, init: RequestInit = {}): Promise<LeanResponse> =>
    new Promise((resolve, reject) => {
      const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
      const u = new URL(url);
      const signal = init.signal ?? undefined;
      if (signal?.aborted) return reject(abortError(signal.reason));
      const body = init.body as string | Buffer | undefined | null;
      if (body !== undefined && body !== null && typeof body !== 'string' && !Buffer.isBuffer(body)) {
        return reject(new TypeError('keepAliveFetch sends string or Buffer bodies only'));
      }
      const headers = headerRecord(init.headers);
      if (body !== undefined && body !== null) headers['content-length'] = String(Buffer.byteLength(body));
      const secure = u.protocol === 'https:';
      const req = (secure ? https : http).request(
        { protocol: u.protocol, hostname: u.hostname, port: u.port || (secure ? 443 : 80), path: `${u.pathname}${u.search}`, method: init.method ?? 'GET', headers, agent: secure ? httpsAgent : httpAgent },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            signal?.removeEventListener('abort', onAbort);
            resolve(new LeanResponse(url, res.statusCode ?? 0, res.statusMessage ?? '', res.headers, chunks.length === 1 ? chunks[0] : Buffer.concat(chunks)));
          });
          res.on('error', fail);
        },
      );
      function fail(e: Error) {
        signal?.removeEventListener('abort', onAbort);
        reject(e);
      }
      function onAbort() {
        req.destroy(abortError(signal?.reason));
      }
      signal?.addEventListener('abort', onAbort, { once: true });
      req.on('error', fail);
      req.end(body ?? undefined);
    });
  return leanFetch as unknown as typeof fetch;
}
