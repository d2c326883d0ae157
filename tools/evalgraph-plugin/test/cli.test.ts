import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RequestCache, requestCacheFile } from '@evalgraph/inference';

const BIN = resolve(__dirname, '../bin/evalgraph.js');
const cli = (cwd: string, args: string[], env: Record<string, string> = {}) => {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd, encoding: 'utf8', env: { ...process.env, ...env } });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
};

describe('evalgraph CLI', () => {
  it('doctor reports each check as ok / warning / error with a fix, and never prints the HF token', () => {
    const secret = `hf_${Math.random().toString(36).slice(2)}`;
    const r = cli(resolve(__dirname, '../../..'), ['doctor'], { HF_TOKEN: secret, PATH: '/usr/bin:/bin' });
    expect(r.out).toMatch(/^(ok|warning|error)\s+node\b/m);
    expect(r.out).toMatch(/vllm/i);
    expect(r.out).toMatch(/fix: /);
    expect(r.out).not.toContain(secret);
    expect(r.out).toMatch(/^ok\s+hf-token\s.*set/m);
    expect(r.out).toMatch(/^warning\s+vllm\s+`vllm` not on PATH/m);
    expect(r.out).toMatch(/^ok\s+sandbox\s+bubblewrap ran a Python program/m);
    expect(r.out).toMatch(/^(ok|warning)\s+chromium\s.*only needed by npm test/m);
    expect(r.status).toBe(0); // warnings only: the dummy backend still runs here
  });

  it('cache stats and prune work on a request cache', () => {
    const root = mkdtempSync(join(tmpdir(), 'evalgraph-cli-'));
    try {
      writeFileSync(join(root, 'nx.json'), '{}');
      expect(cli(root, ['cache', 'stats']).out).toMatch(/no request cache yet/);
      const c = RequestCache.open(requestCacheFile(root));
      c.put('k1', 'qwen3-8b', { kind: 'generate', text: 'a', finish_reason: 'stop', prompt_tokens: 1, completion_tokens: 1, latency_ms: 1, cached: false });
      c.put('k2', 'qwen2.5-7b-instruct', { kind: 'generate', text: 'b', finish_reason: 'stop', prompt_tokens: 1, completion_tokens: 1, latency_ms: 1, cached: false });
      c.close();
      const stats = cli(root, ['cache', 'stats']);
      expect(stats.status).toBe(0);
      expect(stats.out).toMatch(/2 responses/);
      const pruned = cli(root, ['cache', 'prune', '--model', 'qwen3-8b']);
      expect(pruned.out).toMatch(/removed 1 responses/);
      expect(cli(root, ['cache', 'stats']).out).toMatch(/1 responses/);
      expect(cli(root, ['cache', 'prune', '--older-than-days', 'soon']).status).toBe(2);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
