import { describe, expect, it } from 'vitest';
import { Gates } from '@evalgraph/core';
import { evaluateGates, formatGates, type GateResult } from '../src';
import { H100 } from './fixtures';
import { build, tempDirs } from './helpers';

const tmp = tempDirs();
const gate = (gs: GateResult[], name: GateResult['gate']) => gs.find((g) => g.gate === name)!;
const defaults = Gates.parse({});
const two = { datasets: [{ name: 'gsm8k', tasks: 60 }, { name: 'arc', tasks: 30 }], comparisons: [] };

describe('evaluateGates', () => {
  it('passes a healthy run, each gate with its number and reason', () => {
    const { summary } = build(tmp(), two);
    const gs = evaluateGates(summary, defaults, H100);
    expect(gs.map((g) => g.gate)).toEqual(['error_rate', 'gpu_memory', 'throughput', 'coverage', 'no_dummy']);
    expect(gs.every((g) => g.pass)).toBe(true);
    expect(gate(gs, 'gpu_memory')).toMatchObject({ value: 52 / 80, threshold: 0.8 });
    expect(gate(gs, 'throughput')).toMatchObject({ value: 1450, threshold: 100 });
    expect(gate(gs, 'throughput').reason).toContain('qwen3-14b');
    expect(formatGates(gs)[0]).toMatch(/^✓ error_rate: worst cell/);
  });

  it('fails each gate for its own reason', () => {
    const { summary } = build(tmp(), {
      ...two,
      variants: [
        { id: 'a', accuracy: 0.6, errorRate: 0.12, throughput: 80, peakMemoryGiB: 70 },
        { id: 'b', accuracy: 0.6 },
      ],
      skip: ['b/arc'],
    });
    const gs = evaluateGates(summary, defaults, H100);
    expect(gate(gs, 'error_rate').pass).toBe(false);
    expect(gate(gs, 'error_rate').value).toBeGreaterThanOrEqual(0.05);
    expect(gate(gs, 'error_rate').reason).toMatch(/^worst cell a\//);
    expect(gate(gs, 'gpu_memory')).toMatchObject({ pass: false, value: 70 / 80 });
    expect(gate(gs, 'throughput')).toMatchObject({ pass: false, value: 80 });
    expect(gate(gs, 'coverage')).toMatchObject({ pass: false, value: 1, reason: '1 cell(s) missing: b lacks arc' });
    expect(gate(gs, 'no_dummy').pass).toBe(true);
    // Thresholds come from the pipeline's gates.
    const lax = evaluateGates(summary, Gates.parse({ max_error_rate: 0.5, max_gpu_memory_fraction: 0.95, min_throughput_tok_s: 10, require_all_models_covered: false }), H100);
    expect(lax.every((g) => g.pass)).toBe(true);
    expect(gate(lax, 'coverage').reason).toMatch(/^not required/);
  });

  it('judges memory against the GPUs nvidia-smi found for the server (all of them under tensor parallel), else the profile', () => {
    const { summary } = build(tmp(), { ...two, variants: [{ id: 'a', accuracy: 0.6, peakMemoryGiB: 100 }] });
    expect(gate(evaluateGates(summary, defaults, H100), 'gpu_memory')).toMatchObject({ pass: false, value: 100 / 80 });
    // The h100-80gb pipeline ran on an H200: 100 GiB of 140.4 passes where the profile's 80 would not.
    for (const c of summary.cells) c.server.gpus = { devices: [3], name: 'NVIDIA H200', memory_gib: 140.4 };
    const onH200 = gate(evaluateGates(summary, defaults, H100), 'gpu_memory');
    expect(onH200).toMatchObject({ pass: true, value: 100 / 140.4 });
    expect(onH200.reason).toMatch(/^peak 100\.0 GiB of 140\.4 GiB \(1 × NVIDIA H200, nvidia-smi\) in a\//);
    // A tensor-parallel-2 server's peak spans both its GPUs; the worst cell is the one nearest its own limit.
    summary.cells[0].server.gpus = { devices: [0, 1], name: 'NVIDIA H100 80GB HBM3', memory_gib: 79.6 };
    summary.cells[0].metrics.peak_gpu_memory_gib = 130;
    const tp = gate(evaluateGates(summary, defaults, H100), 'gpu_memory');
    expect(tp).toMatchObject({ pass: false, value: 130 / 159.2 });
    expect(tp.reason).toContain('of 159.2 GiB (2 × NVIDIA H100 80GB HBM3, nvidia-smi)');
  });

  it('treats what was not measured as a failure, never a pass', () => {
    const { summary } = build(tmp(), { ...two, variants: [{ id: 'a', accuracy: 0.6, backend: 'dummy', throughput: null }] });
    const gs = evaluateGates(summary, defaults, H100);
    expect(gate(gs, 'gpu_memory')).toMatchObject({ pass: false, value: null });
    expect(gate(gs, 'gpu_memory').reason).toMatch(/^not measured for 2 cell\(s\).*dummy backend uses no GPU/);
    expect(gate(gs, 'throughput')).toMatchObject({ pass: false, value: null });
    expect(gate(gs, 'throughput').reason).toMatch(/^not measured/);
    const noGpu = evaluateGates(build(tmp(), two).summary, defaults, null);
    expect(gate(noGpu, 'gpu_memory')).toMatchObject({ pass: false, reason: 'not measured: no GPU profile' });
    const empty = evaluateGates({ cells: [], missing_cells: [], dummy: false, production: false, comparisons: { servers: [] } }, defaults, H100);
    expect(empty.filter((g) => g.pass).map((g) => g.gate)).toEqual(['no_dummy']);
  });

  it('leaves cells that generated no tokens (log-likelihood, request-cache answers) out of the throughput gate, naming them', () => {
    const { summary } = build(tmp(), two);
    const silent = (c: (typeof summary.cells)[number]) => ({ ...c, metrics: { ...c.metrics, tokens: { ...c.metrics.tokens, completion: 0 }, throughput_tok_s: null } });
    const arcSilent = { ...summary, cells: summary.cells.map((c) => (c.dataset === 'arc' ? silent(c) : c)) };
    const g = gate(evaluateGates(arcSilent, defaults, H100), 'throughput');
    expect(g.pass).toBe(true);
    expect(g.reason).toMatch(/^slowest cell .*\/gsm8k: .*; not counted, no tokens generated: .*\/arc/);
    const allSilent = gate(evaluateGates({ ...summary, cells: summary.cells.map(silent) }, defaults, H100), 'throughput');
    expect(allSilent).toMatchObject({ pass: false, value: null });
    expect(allSilent.reason).toMatch(/^not measured: no cell generated tokens/);
    // A cell that did generate but has no tok/s is still a failure.
    const broken = { ...summary, cells: summary.cells.map((c, i) => (i === 0 ? { ...c, metrics: { ...c.metrics, throughput_tok_s: null } } : c)) };
    expect(gate(evaluateGates(broken, defaults, H100), 'throughput').reason).toMatch(/^not measured for 1 cell/);
  });

  it('judges cells that shared one server at once by the server, not by their share of it', () => {
    const { summary } = build(tmp(), two);
    const [a, b] = summary.cells.filter((c) => c.metrics.tokens.completion > 0);
    const slowCells = { ...summary, cells: summary.cells.map((c) => (c === a || c === b ? { ...c, metrics: { ...c.metrics, throughput_tok_s: 60 } } : c)) };
    // Alone on their servers, each cell's own 60 tok/s is the measurement, and it fails.
    const alone = gate(evaluateGates(slowCells, defaults, H100), 'throughput');
    expect(alone).toMatchObject({ pass: false, value: 60 });
    expect(alone.reason).toMatch(/^slowest cell /);
    // The same cells on one server at the same time: the server's 150 tok/s over its window is what was measured.
    const row = { ...summary.comparisons.servers[0], cells: [a.key, b.key], completion_tokens: 9000, window_s: 60, tok_s: 150, note: null };
    const shared = { ...slowCells, comparisons: { servers: [row, ...summary.comparisons.servers.filter((r) => !r.cells.includes(a.key) && !r.cells.includes(b.key))] } };
    const g = gate(evaluateGates(shared, defaults, H100), 'throughput');
    expect(g.reason).toContain(`server ${row.model} (${a.key}, ${b.key})`);
    expect(g).toMatchObject({ pass: true, value: 150 });
    // A shared server with no tok/s (no time window) is not a measurement.
    const noWindow = { ...shared, comparisons: { servers: [{ ...row, tok_s: null, note: 'no time window recorded' }] } };
    expect(gate(evaluateGates(noWindow, defaults, H100), 'throughput').reason).toMatch(/^not measured for 1 cell\(s\) or shared server\(s\): server /);
  });

  it('forbids the dummy backend in a production pipeline (or when the gates say so)', () => {
    const { summary } = build(tmp(), { ...two, production: true, variants: [{ id: 'a', accuracy: 0.6, backend: 'dummy', throughput: 500, peakMemoryGiB: 10 }, { id: 'b', accuracy: 0.6 }] });
    const gs = evaluateGates(summary, defaults, H100);
    expect(gate(gs, 'no_dummy')).toMatchObject({ pass: false, value: true });
    expect(gate(gs, 'no_dummy').reason).toMatch(/^a production pipeline ran 2 cell\(s\) on the dummy backend: a\/gsm8k, a\/arc/);
    const notProd = evaluateGates({ ...summary, production: false }, defaults, H100);
    expect(gate(notProd, 'no_dummy')).toMatchObject({ pass: true, reason: 'dummy backend allowed: not a production pipeline (2 dummy cell(s))' });
    expect(gate(evaluateGates({ ...summary, production: false }, Gates.parse({ forbid_dummy: true }), H100), 'no_dummy').pass).toBe(false);
  });
});
