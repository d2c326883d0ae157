import { createHash } from 'node:crypto';
import { closeSync, openSync, readSync } from 'node:fs';

/** sha256 (hex) and size in bytes of a file's contents. */
export interface FileDigest {
  sha256: string;
  bytes: number;
}

const CHUNK = 1 << 20;

/** Digest of a file, read in 1 MiB chunks so a large samples.jsonl never has to fit in memory at once. */
export function fileDigest(file: string): FileDigest {
  const hash = createHash('sha256');
  const buf = Buffer.allocUnsafe(CHUNK);
  const fd = openSync(file, 'r');
  let bytes = 0;
  try {
    for (;;) {
      const n = readSync(fd, buf, 0, CHUNK, null);
      if (n === 0) break;
      hash.update(buf.subarray(0, n));
      bytes += n;
    }
  } finally {
    closeSync(fd);
  }
  return { sha256: hash.digest('hex'), bytes };
}

/** Digest of bytes already in memory (the same value fileDigest gives for a file holding them). */
export function bufferDigest(data: Uint8Array): FileDigest {
  return { sha256: createHash('sha256').update(data).digest('hex'), bytes: data.byteLength };
}
