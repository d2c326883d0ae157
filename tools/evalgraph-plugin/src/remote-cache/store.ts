import { createHash, randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';

/**
 * Nx names an entry by its task hash (decimal digits today). Anything that could leave the store's folder
 * (`/`, `..`, a leading dot) is refused, whatever Nx sends in future versions.
 */
const HASH = /^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/;

/** Each stored file starts with the sha256 of the body, so a damaged or cut-off file is never served. */
const HEADER_BYTES = 65; // 64 hex digits + '\n'

/** A rejected request, with the HTTP status the server answers and a message for the Nx user. */
export class RemoteCacheError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
    this.name = 'RemoteCacheError';
  }
}

export type PutResult = 'stored' | 'exists';

/** Whether `hash` is a name the store accepts. */
export const isValidHash = (hash: string): boolean => HASH.test(hash);

/**
 * A folder of Nx cache entries (gzipped tar archives as Nx uploads them). Writes go to a temp file that is
 * checked (byte count, complete gzip stream, sha256) and then hard-linked into place: link() never replaces an
 * existing name, so of concurrent writers of one hash exactly one wins and the others get 'exists'.
 */
export class CacheStore {
  private readonly entries: string;
  private readonly tmp: string;
  private readonly corrupt: string;

  private constructor(readonly dir: string) {
    this.entries = join(dir, 'entries');
    this.tmp = join(dir, 'tmp');
    this.corrupt = join(dir, 'corrupt');
  }

  /** Opens (creating when missing) a store in `dir`; temp files left by a killed server are removed. */
  static async open(dir: string): Promise<CacheStore> {
    const s = new CacheStore(dir);
    await fs.mkdir(s.entries, { recursive: true });
    await fs.rm(s.tmp, { recursive: true, force: true });
    await fs.mkdir(s.tmp, { recursive: true });
    return s;
  }

  private path(hash: string): string {
    if (!isValidHash(hash)) throw new RemoteCacheError(400, `invalid cache hash "${hash.slice(0, 40)}": expected letters, digits, _ or - (at most 128)`);
    return join(this.entries, hash.slice(0, 2), hash);
  }

  /**
   * Stores the body of one upload. `declaredBytes` is the request's Content-Length: a body that ends short of it
   * (a client or connection that died mid-upload) or is not one complete gzip stream is rejected and leaves no entry.
   */
  async put(hash: string, body: Readable, declaredBytes: number): Promise<PutResult> {
    const final = this.path(hash);
    const tmp = join(this.tmp, `${hash}.${process.pid}.${randomBytes(6).toString('hex')}`);
    const fh = await fs.open(tmp, 'wx', 0o644);
    try {
      await fh.write(Buffer.alloc(HEADER_BYTES, 0x20), 0, HEADER_BYTES, 0);
      const sha = createHash('sha256');
      let received = 0;
      let position = HEADER_BYTES;
      // Decompressing alongside proves the upload is a whole gzip stream (its trailer holds a CRC and length).
      const gunzip = createGunzip();
      let gzipError: RemoteCacheError | undefined;
      const gzipDone = new Promise<void>((resolve, reject) => {
        gunzip.on('error', (e) => {
          gzipError = new RemoteCacheError(400, `upload for ${hash} is not a complete gzip stream (${e.message}): nothing stored`);
          gunzip.emit('drain');
          reject(gzipError);
        });
        gunzip.on('end', () => resolve());
        gunzip.resume();
      });
      gzipDone.catch(() => undefined);
      for await (const chunk of body as AsyncIterable<Buffer>) {
        received += chunk.length;
        if (received > declaredBytes) throw new RemoteCacheError(400, `upload for ${hash} is longer than its Content-Length (${declaredBytes} bytes): nothing stored`);
        sha.update(chunk);
        await fh.write(chunk, 0, chunk.length, position);
        position += chunk.length;
        if (gzipError) throw gzipError;
        if (!gunzip.write(chunk)) await new Promise((r) => gunzip.once('drain', r));
      }
      if (gzipError) throw gzipError;
      if (received !== declaredBytes) throw new RemoteCacheError(400, `upload for ${hash} ended after ${received} of ${declaredBytes} bytes: nothing stored`);
      gunzip.end();
      await gzipDone;
      await fh.write(Buffer.from(`${sha.digest('hex')}\n`), 0, HEADER_BYTES, 0);
      await fh.sync();
      await fh.close();
      await fs.mkdir(join(final, '..'), { recursive: true });
      try {
        await fs.link(tmp, final);
        return 'stored';
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'EEXIST') return 'exists';
        throw e;
      }
    } finally {
      await fh.close().catch(() => undefined);
      await fs.rm(tmp, { force: true });
    }
  }

  /**
   * The body stored under `hash`, or null when there is none. An entry whose bytes no longer match its sha256
   * (disk damage, a hand edit) is moved to corrupt/ and reported missing, so Nx recomputes and re-uploads it.
   */
  async get(hash: string): Promise<Buffer | null> {
    const file = this.path(hash);
    let data: Buffer;
    try {
      data = await fs.readFile(file);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw e;
    }
    const body = data.subarray(HEADER_BYTES);
    const want = data.subarray(0, HEADER_BYTES - 1).toString('latin1');
    if (data.length < HEADER_BYTES || createHash('sha256').update(body).digest('hex') !== want) {
      await fs.mkdir(this.corrupt, { recursive: true });
      await fs.rename(file, join(this.corrupt, `${hash}.${Date.now()}`)).catch(() => undefined);
      return null;
    }
    return body;
  }
}
