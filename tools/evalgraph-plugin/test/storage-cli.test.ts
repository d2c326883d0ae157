import { describe, expect, it } from 'vitest';
import { withStorageBlock } from '../src/cli/storage';

describe('evalgraph storage apply: its block of .env.local', () => {
  it('adds the block after what the file had, and replaces it on the next apply without touching the rest', () => {
    const first = withStorageBlock('MY_VAR=1\n', { NX_CACHE_DIRECTORY: '/v/nx-cache' });
    expect(first).toMatch(/^MY_VAR=1\n\n# evalgraph storage .*\nNX_CACHE_DIRECTORY=\/v\/nx-cache\n# end evalgraph storage\n$/);
    const second = withStorageBlock(`${first}OTHER=2\n`, { NX_CACHE_DIRECTORY: '/w/nx-cache' });
    expect(second).toContain('MY_VAR=1');
    expect(second).toContain('OTHER=2');
    expect(second).toContain('NX_CACHE_DIRECTORY=/w/nx-cache');
    expect(second).not.toContain('/v/nx-cache');
    expect(second.match(/# evalgraph storage/g)).toHaveLength(1);
  });

  it('kind workspace removes the block', () => {
    const withBlock = withStorageBlock('A=1\n', { NX_CACHE_DIRECTORY: '/v' });
    expect(withStorageBlock(withBlock, {})).toBe('A=1\n');
  });
});
