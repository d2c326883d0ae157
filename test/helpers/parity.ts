// Digests of a pipeline's evaluation results with the fields that measure time removed: what must stay
// byte-identical when a change is not meant to alter results (issue 19's parity requirement).
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

/** Fields that measure time (or depend on it), per result file. */
const TIMING = { sample: ['latency_ms'], metrics: ['latency_ms', 'throughput_tok_s', 'wall_s', 'peak_gpu_memory_gib', 'kv_cache_usage_max'] };

function without(o: Record<string, unknown>, keys: string[]): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).filter(([k]) => !keys.includes(k)));
}

/** The digests a committed baseline (test/fixtures/parity/<name>.json) recorded. */
export function parityBaseline(name: string): Record<string, string> {
  return (JSON.parse(readFileSync(join(__dirname, '../fixtures/parity', `${name}.json`), 'utf8')) as { digests: Record<string, string> }).digests;
}

/** sha256 of each samples.jsonl and metrics.json under `dir` (relative path → hex), timing fields removed. */
export function resultDigests(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const e of readdirSync(d).sort()) {
      const p = join(d, e);
      if (statSync(p).isDirectory()) walk(p);
      else if (e === 'samples.jsonl' || e === 'metrics.json') {
        const text = readFileSync(p, 'utf8');
        const normalized =
          e === 'samples.jsonl'
            ? text.split('\n').filter(Boolean).map((l) => JSON.stringify(without(JSON.parse(l) as Record<string, unknown>, TIMING.sample))).join('\n')
            : JSON.stringify(without(JSON.parse(text) as Record<string, unknown>, TIMING.metrics));
        out[relative(dir, p)] = createHash('sha256').update(normalized).digest('hex');
      }
    }
  };
  if (existsSync(dir)) walk(dir);
  return out;
}
