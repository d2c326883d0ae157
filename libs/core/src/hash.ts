import { createHash } from 'node:crypto';

/** Canonical array-index keys ("0", "7", "151643"): JSON.stringify writes them first, in numeric order. */
const INDEX_KEY = /^(?:0|[1-9]\d*)$/;

function isIndexKey(k: string): boolean {
  const c = k.charCodeAt(0);
  return c >= 48 && c <= 57 && INDEX_KEY.test(k) && Number(k) < 4294967295;
}

/** Key order of an object rebuilt from its sorted keys: index keys ascending, then the rest in code-unit order. */
function orderedKeys(o: object): string[] {
  const keys = Object.keys(o).sort();
  if (!keys.some(isIndexKey)) return keys;
  const index = keys.filter(isIndexKey).sort((a, b) => Number(a) - Number(b));
  return [...index, ...keys.filter((k) => !isIndexKey(k))];
}

function skipped(v: unknown): boolean {
  return v === undefined || typeof v === 'function' || typeof v === 'symbol';
}

function writeStable(v: unknown): string {
  if (v === null) return 'null';
  switch (typeof v) {
    case 'string':
      return JSON.stringify(v);
    case 'number':
      return Number.isFinite(v) ? String(v) : 'null';
    case 'boolean':
      return v ? 'true' : 'false';
    case 'bigint':
      throw new TypeError('Do not know how to serialize a BigInt');
    case 'object': {
      const o = v as Record<string, unknown> & { toJSON?: () => unknown };
      if (typeof o.toJSON === 'function') return writeStable(o.toJSON());
      if (Array.isArray(v)) {
        let out = '[';
        for (let i = 0; i < v.length; i++) out += (i ? ',' : '') + (skipped(v[i]) ? 'null' : writeStable(v[i]));
        return out + ']';
      }
      let out = '{';
      let first = true;
      for (const k of orderedKeys(o)) {
        if (skipped(o[k])) continue;
        out += (first ? '' : ',') + JSON.stringify(k) + ':' + writeStable(o[k]);
        first = false;
      }
      return out + '}';
    }
    default:
      return 'null';
  }
}

/**
 * JSON with sorted keys, so equal values always serialize (and hash) the same. Written out rather than through a
 * JSON.stringify replacer that rebuilt every object: request-cache keys hash a body per request, and the replacer
 * was the client's largest CPU cost after the HTTP exchange. The text is the replacer version's, byte for byte
 * (index-like keys first, as JSON.stringify orders a rebuilt object), so existing hashes and cache keys hold.
 */
export function stableStringify(value: unknown): string {
  // Top-level undefined, functions and symbols: what JSON.stringify gives (undefined), as before.
  if (skipped(value)) return JSON.stringify(value);
  return writeStable(value);
}

/** sha256 hex of a string or buffer. */
export function sha256(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** sha256 of the stable JSON of a value. */
export function hashValue(value: unknown): string {
  return sha256(stableStringify(value));
}
