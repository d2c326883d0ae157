import { createHash } from 'node:crypto';

/** JSON with sorted keys, so equal values always serialize (and hash) the same. */
export function stableStringify(value: unknown): string {
  return JSON.stringify(value, (_k, v) => {
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      return Object.fromEntries(Object.keys(v as object).sort().map((k) => [k, (v as Record<string, unknown>)[k]]));
    }
    return v;
  });
}

/** sha256 hex of a string or buffer. */
export function sha256(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** sha256 of the stable JSON of a value. */
export function hashValue(value: unknown): string {
  return sha256(stableStringify(value));
}
