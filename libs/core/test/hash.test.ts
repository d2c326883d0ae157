import { describe, expect, it } from 'vitest';
import { stableStringify } from '../src/hash';

/** The former implementation, a JSON.stringify replacer: the text every existing hash and cache key was made from. */
function replacerStableStringify(value: unknown): string {
  return JSON.stringify(value, (_k, v) => {
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      return Object.fromEntries(Object.keys(v as object).sort().map((k) => [k, (v as Record<string, unknown>)[k]]));
    }
    return v;
  });
}

describe('stableStringify', () => {
  it('writes exactly what the replacer version wrote, so existing hashes and request-cache keys still match', () => {
    const values: unknown[] = [
      { b: 1, a: [3, { z: null, y: 'é "quoted" \n \u2028 😀' }], c: { e: true, d: false } },
      { skip: undefined, f: () => 1, n: [undefined, () => 1, 1.5e-7, -0, 1e21, NaN, Infinity], when: new Date(0), deep: { x: { y: { z: [] } } } },
      // Index-like keys (token ids in logit_bias, say) come first in numeric order, as JSON.stringify writes them.
      { b: 1, '10': 2, '9': 3, '01': 4, '-1': 5, '4294967295': 6, '4294967294': 7, a: { '2': 1, '1': 0 } },
      [],
      {},
      'plain',
      42,
      null,
      undefined,
    ];
    for (const v of values) expect(stableStringify(v)).toBe(replacerStableStringify(v));
  });

  it('is the same for the same content in any key order', () => {
    expect(stableStringify({ a: 1, b: { d: [1, 2], c: 'x' } })).toBe(stableStringify({ b: { c: 'x', d: [1, 2] }, a: 1 }));
  });
});
