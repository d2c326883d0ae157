import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CacheStore, RemoteCacheError } from './store';
import { authorize, type AccessPolicy } from './tokens';

export interface RemoteCacheServerOptions extends AccessPolicy {
  dir: string;
  host: string;
  /** 0 picks a free port. */
  port: number;
  /** Uploads above this are refused with 413 before any byte is stored. */
  maxEntryBytes: number;
  /** One line per request (method, hash, status, bytes, ms); never a token. */
  log?: (line: string) => void;
}

export interface RunningRemoteCache {
  /** The value for NX_SELF_HOSTED_REMOTE_CACHE_SERVER. */
  url: string;
  close(): Promise<void>;
}

const ROUTE = /^\/v1\/cache\/([^/?#]+)$/;

function reply(res: ServerResponse, status: number, text?: string): void {
  if (res.headersSent) return;
  // Exactly `text/plain` (no charset): Nx shows the text of a 401 to its user only with that content type and
  // otherwise reports the server as misconfigured.
  res.writeHead(status, text ? { 'content-type': 'text/plain', connection: 'close' } : {});
  res.end(text ? `${text}\n` : undefined);
}

async function handle(store: CacheStore, o: RemoteCacheServerOptions, req: IncomingMessage, res: ServerResponse): Promise<{ status: number; bytes: number; hash: string }> {
  const m = ROUTE.exec(req.url ?? '');
  if (!m) throw new RemoteCacheError(404, 'not found: this server answers GET and PUT /v1/cache/{hash} (the Nx self-hosted remote cache API)');
  let hash: string;
  try {
    hash = decodeURIComponent(m[1]);
  } catch {
    throw new RemoteCacheError(400, 'malformed cache hash in the URL');
  }
  if (req.method === 'GET') {
    authorize(o, req.headers.authorization, 'read');
    const body = await store.get(hash);
    if (!body) throw new RemoteCacheError(404, `no cache entry ${hash}`);
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': body.length });
    res.end(body);
    return { status: 200, bytes: body.length, hash };
  }
  if (req.method === 'PUT') {
    authorize(o, req.headers.authorization, 'write');
    const declared = req.headers['content-length'];
    if (declared === undefined || !/^\d+$/.test(declared)) throw new RemoteCacheError(411, 'Content-Length is required: the server compares it with the bytes received so a cut-off upload is never stored');
    const bytes = Number(declared);
    // 403, not 413: Nx stops the whole run on any status but 200, 403 and 409, and an entry too big to share
    // should cost a cache hit elsewhere, not this run.
    if (bytes > o.maxEntryBytes) throw new RemoteCacheError(403, `entry of ${bytes} bytes is over this server's limit of ${o.maxEntryBytes} (--max-entry-mb): not stored`);
    const result = await store.put(hash, req, bytes);
    // 409 is how the spec says "already there": Nx keeps going, and the first upload stays the one served.
    if (result === 'exists') throw new RemoteCacheError(409, `cache entry ${hash} exists and is never overwritten`);
    reply(res, 200);
    return { status: 200, bytes, hash };
  }
  res.setHeader('allow', 'GET, PUT');
  throw new RemoteCacheError(405, `method ${req.method} not allowed: use GET or PUT`);
}

/** Starts the HTTP server Nx talks to through NX_SELF_HOSTED_REMOTE_CACHE_SERVER. */
export async function startRemoteCacheServer(o: RemoteCacheServerOptions): Promise<RunningRemoteCache> {
  const store = await CacheStore.open(o.dir);
  const log = o.log ?? (() => undefined);
  const server: Server = createServer((req, res) => {
    const t0 = Date.now();
    handle(store, o, req, res).then(
      (r) => log(`${req.method} ${r.hash} ${r.status} ${r.bytes} B ${Date.now() - t0} ms`),
      (e: unknown) => {
        const status = e instanceof RemoteCacheError ? e.status : 500;
        const message = e instanceof RemoteCacheError ? e.message : `internal error: ${(e as Error).message}`;
        log(`${req.method} ${(req.url ?? '').slice(0, 160)} ${status} ${message}`);
        // `connection: close` on errors: an upload refused before its body was read is not read to its end.
        reply(res, status, message);
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, o.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const host = o.host.includes(':') ? `[${o.host}]` : o.host;
  return {
    url: `http://${host}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
