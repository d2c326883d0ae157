import { isAbsolute, resolve } from 'node:path';
import { isUserFacingError } from '@evalgraph/core';
import { startRemoteCacheServer, type RemoteCacheServerOptions } from '../remote-cache/server';
import { readTokenFile, RemoteCacheConfigError } from '../remote-cache/tokens';

export const REMOTE_CACHE_USAGE = `usage: evalgraph remote-cache serve --dir DIR --port PORT [--host HOST] [--token-file F] [--read-token-file F]
                                  [--max-entry-mb N]
  Serves Nx's self-hosted remote cache API (GET/PUT /v1/cache/{hash}) from DIR. Clients set
  NX_SELF_HOSTED_REMOTE_CACHE_SERVER=http://HOST:PORT and NX_SELF_HOSTED_REMOTE_CACHE_ACCESS_TOKEN=<token>.
  --token-file F       tokens (one a line) that may read and write; without it the server is open and only
                       listens on a loopback host
  --read-token-file F  tokens that may only read; when given, reads need a token too
  --host HOST          default 127.0.0.1
  --max-entry-mb N     largest upload accepted (default 2048)`;

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1']);

/** Parses `serve` flags into server options; every mistake names the flag and the fix. */
export function parseServeArgs(args: string[], cwd: string): RemoteCacheServerOptions {
  const flags = new Map<string, string>();
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (!['--dir', '--port', '--host', '--token-file', '--read-token-file', '--max-entry-mb'].includes(a)) throw new RemoteCacheConfigError(`unknown option "${a}"\n${REMOTE_CACHE_USAGE}`);
    const v = args[++i];
    if (v === undefined || v.startsWith('--')) throw new RemoteCacheConfigError(`${a}: expected a value`);
    flags.set(a, v);
  }
  const abs = (p: string) => (isAbsolute(p) ? p : resolve(cwd, p));
  const dir = flags.get('--dir');
  if (!dir) throw new RemoteCacheConfigError(`--dir is required: the folder that holds the cache entries\n${REMOTE_CACHE_USAGE}`);
  const portText = flags.get('--port');
  if (portText === undefined || !/^\d+$/.test(portText) || Number(portText) > 65535) throw new RemoteCacheConfigError(`--port: expected a port number 0–65535 (0: any free port), found ${portText === undefined ? 'nothing' : `"${portText}"`}`);
  const mb = flags.get('--max-entry-mb') ?? '2048';
  if (!/^\d+$/.test(mb) || Number(mb) < 1) throw new RemoteCacheConfigError(`--max-entry-mb: expected a whole number of MiB ≥ 1, found "${mb}"`);
  const host = flags.get('--host') ?? '127.0.0.1';
  const tokenFile = flags.get('--token-file');
  const readTokenFileName = flags.get('--read-token-file');
  const writeTokens = tokenFile ? readTokenFile(abs(tokenFile), '--token-file') : [];
  const readTokens = readTokenFileName ? readTokenFile(abs(readTokenFileName), '--read-token-file') : [];
  if (!writeTokens.length && !LOOPBACK.has(host)) {
    throw new RemoteCacheConfigError(`--host ${host}: a server reachable from other machines needs --token-file, or anyone who reaches it could write cache entries that Nx restores as results`);
  }
  return { dir: abs(dir), host, port: Number(portText), maxEntryBytes: Number(mb) * 1024 * 1024, writeTokens, readTokens };
}

/** `evalgraph remote-cache serve ...`: runs until SIGINT/SIGTERM; returns the exit code. */
export async function remoteCache(cwd: string, sub: string | undefined, rest: string[]): Promise<number> {
  if (sub !== 'serve') {
    console.error(sub === undefined || sub === '--help' ? REMOTE_CACHE_USAGE : `unknown remote-cache command "${sub}"\n${REMOTE_CACHE_USAGE}`);
    return 2;
  }
  let options: RemoteCacheServerOptions;
  try {
    options = parseServeArgs(rest, cwd);
  } catch (e) {
    if (isUserFacingError(e)) {
      console.error(e.message);
      return 2;
    }
    throw e;
  }
  const server = await startRemoteCacheServer({ ...options, log: (l) => console.log(`${new Date().toISOString()} ${l}`) });
  const access = options.writeTokens.length ? `writes need a token${options.readTokens.length ? ', reads too' : '; reads are open'}` : 'OPEN: no token file, anyone on this host may read and write';
  console.log(`evalgraph remote cache: ${server.url} (store ${options.dir}; ${access})`);
  console.log(`clients: NX_SELF_HOSTED_REMOTE_CACHE_SERVER=${server.url}`);
  await new Promise<void>((done) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      done();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  await server.close();
  return 0;
}
