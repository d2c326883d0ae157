import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import Ajv2020 from 'ajv/dist/2020';
import { parseBaselineSummary, readBaselineSummary } from '@evalgraph/analysis';
import { Summary, readSummary, summaryJsonSchema } from '../src';
import { build, tempDirs } from './helpers';

const tmp = tempDirs();

describe('buildSummary', () => {
  const { fixture, summary } = build(tmp());

  it('is valid against its generated JSON Schema (ajv) and its zod schema', () => {
    const ajv = new Ajv2020({ allErrors: true, strict: false });
    const validate = ajv.compile(summaryJsonSchema());
    const json = JSON.parse(JSON.stringify(summary));
    expect(validate(json), JSON.stringify(validate.errors)).toBe(true);
    expect(Summary.parse(json)).toEqual(json);
    expect(validate({ ...json, readiness: { pass: 'yes', gates: [] } })).toBe(false);
    expect(validate({ ...json, surprise: 1 })).toBe(false);
  });

  it('carries every cell’s metrics.json unchanged, and run metadata', () => {
    expect(summary.cells).toHaveLength(15);
    for (const cell of fixture.pipeline.cells) {
      const onDisk = JSON.parse(readFileSync(join(fixture.root, cell.resultsDir, 'metrics.json'), 'utf8'));
      expect(summary.cells.find((c) => c.key === cell.key)!.metrics).toEqual(onDisk);
    }
    expect(summary).toMatchObject({ pipeline: 'large-scale', dummy: false, complete: true, production: false });
    expect(summary.meta).toMatchObject({
      git_commit: '0123456789abcdef0123456789abcdef01234567',
      gpu: { profile: 'h100-80gb', name: 'NVIDIA H100 80GB HBM3', memory_gib: 80, count: 1 },
      backends: ['vllm'],
      vllm_versions: ['0.11.0'],
      servers: [{ kind: 'vllm', version: '0.11.0' }],
    });
    expect(summary.meta.versions).toMatchObject({ vllm: '0.11.0', evalgraph: '0.1.0' });
    expect(Object.keys(summary.cells[0].config_hashes)).toEqual(['model', 'preset', 'dataset']);
  });

  it('makes the comparisons the pipeline asks for', () => {
    expect(summary.comparisons.matrix).toHaveLength(15);
    expect(summary.comparisons.scaling.map((r) => `${r.family}/${r.dataset}`)).toEqual(['qwen3/gsm8k', 'qwen3/humaneval', 'qwen3/mt-bench', 'qwen2.5/gsm8k', 'qwen2.5/humaneval', 'qwen2.5/mt-bench']);
    expect(summary.comparisons.modes).toHaveLength(3);
    expect(summary.comparisons.baseline).toBeNull();
    expect(summary.comparisons.problems).toEqual([]);
    expect(summary.readiness.pass).toBe(true);
  });

  it('flags a dummy backend, a partial run and comparisons it cannot make', () => {
    const { summary: s } = build(tmp(), {
      variants: [
        { id: 'qwen3-8b', accuracy: 0.6, backend: 'dummy' },
        { id: 'qwen3-14b', accuracy: 0.7 },
      ],
      skip: ['qwen3-14b/mt-bench'],
      comparisons: [{ kind: 'scaling', family: 'qwen3', small: 'qwen3-8b', large: 'qwen3-32b' }, { kind: 'baseline', summary: 'git:main' }],
    });
    expect(s.dummy).toBe(true);
    expect(s.meta.backends).toEqual(['dummy', 'vllm']);
    expect(s.meta.servers).toContainEqual({ kind: 'dummy (in-process)', version: null });
    expect(s.complete).toBe(false);
    expect(s.missing_cells.map((m) => m.key)).toEqual(['qwen3-14b/mt-bench']);
    expect(s.comparisons.problems).toEqual(['scaling qwen3: no results for variant "qwen3-32b"', 'baseline git:main: no baseline summary was given']);
    expect(s.readiness.pass).toBe(false);
  });

  it('compares against a stored summary.json as baseline, paired on the same samples', () => {
    const root = tmp();
    const before = build(root, { variants: [{ id: 'qwen3-8b', accuracy: 0.8 }], independence: 0 });
    const file = join(root, 'summary.json');
    writeFileSync(file, JSON.stringify(before.summary));
    expect(readSummary(file)).toEqual(JSON.parse(JSON.stringify(before.summary)));
    const base = readBaselineSummary(file);
    const after = build(tmp(), { variants: [{ id: 'qwen3-8b', accuracy: 0.6 }], independence: 0, comparisons: [{ kind: 'baseline', summary: file }] }, { baseline: base });
    const b = after.summary.comparisons.baseline!;
    expect(b.regressions).toBeGreaterThanOrEqual(2);
    const gsm = b.rows.find((r) => r.key === 'qwen3-8b/gsm8k' && r.primary)!;
    expect(gsm).toMatchObject({ regression: true, comparison: { test: 'mcnemar-exact', n_paired: 250 } });
    expect(b.rows.find((r) => r.key === 'qwen3-8b/humaneval' && r.primary)!.comparison.test).toBe('paired-cluster-bootstrap');
    writeFileSync(file, JSON.stringify({ ...before.summary, cells: 'none' }));
    expect(() => readBaselineSummary(file)).toThrow(/summary\.json: \/cells: must be array/);
    expect(() => parseBaselineSummary('{', 'git:main:results/p/summary.json')).toThrow(/git:main:results\/p\/summary\.json: not valid JSON/);
  });
});
