import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { UserFacingError } from '@evalgraph/core';
import { RemoteCacheError } from './store';

/** Who may do what: a write token reads and writes; read tokens (when any) only read. */
export interface AccessPolicy {
  writeTokens: string[];
  readTokens: string[];
}

export type Access = 'read' | 'write';

/** A bad server setting (token file, flags): reported before the server starts. */
export class RemoteCacheConfigError extends UserFacingError {
  constructor(message: string) {
    super(message);
    this.name = 'RemoteCacheConfigError';
  }
}

const digest = (s: string) => createHash('sha256').update(s).digest();

/** Compares in constant time (over sha256 digests, so lengths do not leak either). */
function matches(candidate: string, tokens: string[]): boolean {
  const d = digest(candidate);
  let hit = false;
  for (const t of tokens) hit = timingSafeEqual(d, digest(t)) || hit;
  return hit;
}

/**
 * Reads tokens from a file: one per line, blank lines and `#` comments ignored. The token values never appear in
 * an error; the file is named so the user knows what to fix.
 */
export function readTokenFile(file: string, flag: string): string[] {
  let text: string;
  try {
    if (!statSync(file).isFile()) throw new Error('not a file');
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new RemoteCacheConfigError(`${flag} ${file}: cannot read the token file (${(e as Error).message}) — create it with one token per line, e.g. \`openssl rand -hex 32 > ${file}\``);
  }
  const tokens = text.split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
  if (!tokens.length) throw new RemoteCacheConfigError(`${flag} ${file}: the file holds no token — write one token per line`);
  for (const t of tokens) {
    if (t.length < 16 || /\s/.test(t)) throw new RemoteCacheConfigError(`${flag} ${file}: every token must be at least 16 characters with no spaces — e.g. \`openssl rand -hex 32\``);
  }
  return tokens;
}

/**
 * Decides a request from its Authorization header, as Nx's OpenAPI spec for the self-hosted cache says:
 * 401 when the token is missing or unknown, 403 when a read-only token tries to write (Nx then skips the upload).
 * Reads are open unless read tokens are configured.
 */
export function authorize(policy: AccessPolicy, header: string | undefined, access: Access): void {
  const open = policy.writeTokens.length === 0 && policy.readTokens.length === 0;
  if (open) return;
  if (access === 'read' && policy.readTokens.length === 0) return;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  if (!m) throw new RemoteCacheError(401, `missing access token: set NX_SELF_HOSTED_REMOTE_CACHE_ACCESS_TOKEN to a token of this cache server`);
  const token = m[1];
  if (matches(token, policy.writeTokens)) return;
  if (matches(token, policy.readTokens)) {
    if (access === 'read') return;
    throw new RemoteCacheError(403, 'this access token may only read from the cache; writes need the write token');
  }
  throw new RemoteCacheError(401, 'invalid access token: NX_SELF_HOSTED_REMOTE_CACHE_ACCESS_TOKEN is not a token of this cache server');
}
