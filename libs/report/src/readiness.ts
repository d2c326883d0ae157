import type { Gates, GpuProfile } from '@evalgraph/core';
import type { GateResult, Summary } from './summary-schema';

/** What the gates read from a summary. */
export type ReadinessInput = Pick<Summary, 'cells' | 'missing_cells' | 'dummy' | 'production'> & { comparisons: Pick<Summary['comparisons'], 'servers'> };

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
const list = (xs: string[], max = 4) => xs.slice(0, max).join(', ') + (xs.length > max ? `, … ${xs.length - max} more` : '');

type Verdict = Omit<GateResult, 'value_text' | 'threshold_text'>;

const NOT_MEASURED = 'not measured';

/** The gate's value and threshold with their units, so no report shows a bare `0 / 0`. */
function withText(g: Verdict, cells: number, missing: number): GateResult {
  const num = (v: GateResult['value'], f: (x: number) => string) => (typeof v === 'number' ? f(v) : NOT_MEASURED);
  switch (g.gate) {
    case 'error_rate':
      return { ...g, value_text: num(g.value, (v) => `${pct(v)} (worst cell)`), threshold_text: num(g.threshold, (v) => `< ${pct(v)}`) };
    case 'gpu_memory':
      return { ...g, value_text: num(g.value, (v) => `${pct(v)} of GPU memory`), threshold_text: g.threshold === null ? 'not required' : num(g.threshold, (v) => `< ${pct(v)}`) };
    case 'throughput':
      return { ...g, value_text: num(g.value, (v) => `${v.toFixed(1)} tok/s (slowest)`), threshold_text: g.threshold === null ? 'not required' : num(g.threshold, (v) => `> ${v} tok/s`) };
    case 'coverage':
      return { ...g, value_text: `${cells} of ${cells + missing} cells`, threshold_text: g.reason.startsWith('not required') ? 'not required' : 'every cell' };
    case 'no_dummy':
      return { ...g, value_text: g.value ? 'dummy backend used' : 'no dummy backend', threshold_text: g.reason.startsWith('dummy backend allowed') ? 'allowed here' : 'no dummy backend' };
  }
}

function errorRateGate(s: ReadinessInput, gates: Gates): Verdict {
  const threshold = gates.max_error_rate;
  if (s.cells.length === 0) return { gate: 'error_rate', pass: false, value: null, threshold, reason: 'not measured: no cell has results' };
  const worst = s.cells.reduce((a, c) => (c.metrics.error_rate > a.metrics.error_rate ? c : a));
  const value = worst.metrics.error_rate;
  const pass = value < threshold;
  return { gate: 'error_rate', pass, value, threshold, reason: `worst cell ${worst.key}: ${pct(value)} ${pass ? '<' : '≥'} ${pct(threshold)}` };
}

function memoryGate(s: ReadinessInput, gates: Gates, gpu: GpuProfile | null): Verdict {
  const threshold = gates.max_gpu_memory_fraction;
  if (threshold === null) return { gate: 'gpu_memory', pass: true, value: null, threshold, reason: 'not required (gates.max_gpu_memory_fraction: null)' };
  const fail = (reason: string): Verdict => ({ gate: 'gpu_memory', pass: false, value: null, threshold, reason });
  if (!gpu) return fail('not measured: no GPU profile');
  if (s.cells.length === 0) return fail('not measured: no cell has results');
  const unmeasured = s.cells.filter((c) => c.metrics.peak_gpu_memory_gib === null);
  if (unmeasured.length) {
    const dummy = unmeasured.filter((c) => c.backend === 'dummy').length;
    return fail(`not measured for ${unmeasured.length} cell(s): ${list(unmeasured.map((c) => c.key))}${dummy ? ' (the dummy backend uses no GPU)' : ''}`);
  }
  // A cell's peak is its server's, over all the GPUs it was placed on; where nvidia-smi was read (run.json
  // server.gpus) those are the GPUs found, so an h100-80gb pipeline on an H200 is judged against the H200's memory.
  const capacity = (c: (typeof s.cells)[number]) => (c.server.gpus ? { gib: c.server.gpus.memory_gib * c.server.gpus.devices.length, what: `${c.server.gpus.devices.length} × ${c.server.gpus.name}, nvidia-smi` } : { gib: gpu.memory_gib, what: `${gpu.name}, profile` });
  const fraction = (c: (typeof s.cells)[number]) => c.metrics.peak_gpu_memory_gib! / capacity(c).gib;
  const worst = s.cells.reduce((a, c) => (fraction(c) > fraction(a) ? c : a));
  const peak = worst.metrics.peak_gpu_memory_gib!;
  const value = fraction(worst);
  const pass = value < threshold;
  const of = capacity(worst);
  return { gate: 'gpu_memory', pass, value, threshold, reason: `peak ${peak.toFixed(1)} GiB of ${Math.round(of.gib * 10) / 10} GiB (${of.what}) in ${worst.key}: ${pct(value)} ${pass ? '<' : '≥'} ${pct(threshold)}` };
}

function throughputGate(s: ReadinessInput, gates: Gates): Verdict {
  const threshold = gates.min_throughput_tok_s;
  if (threshold === null) return { gate: 'throughput', pass: true, value: null, threshold, reason: 'not required (gates.min_throughput_tok_s: null)' };
  const fail = (reason: string): Verdict => ({ gate: 'throughput', pass: false, value: null, threshold, reason });
  if (s.cells.length === 0) return fail('not measured: no cell has results');
  // A dummy cell's tok/s (results written before it was recorded as null) is not a measurement either.
  const dummy = s.cells.filter((c) => c.backend === 'dummy');
  if (dummy.length) return fail(`not measured for ${dummy.length} cell(s): ${list(dummy.map((c) => c.key))} (the dummy backend measures no throughput)`);
  // Log-likelihood cells generate no tokens, nor does a cell whose every answer came from the request cache: they
  // say nothing about generation speed, so they are left out and named rather than failing the gate.
  const silent = s.cells.filter((c) => c.metrics.tokens.completion === 0);
  const generating = s.cells.filter((c) => c.metrics.tokens.completion > 0);
  if (!generating.length) return fail(`not measured: no cell generated tokens (${list(silent.map((c) => c.key))}: log-likelihood scoring or answers from the request cache)`);
  // Cells that shared one server at the same time each saw only their part of it (on an H100, three cells of one
  // GPU stand-in server measured 25-32 tok/s each while the server did 51): the server's tok/s over the window it
  // served is the measurement there, as in the report's matrix; a cell that had its server alone keeps its own.
  const sessionOf = new Map(s.comparisons.servers.flatMap((r) => r.cells.map((k) => [k, r] as const)));
  const units = new Map<string, number | null>();
  for (const c of generating) {
    const r = sessionOf.get(c.key);
    if (r && r.cells.length > 1) units.set(`server ${r.model} (${list(r.cells, 3)})`, r.tok_s);
    else units.set(`cell ${c.key}`, c.metrics.throughput_tok_s);
  }
  const unmeasured = [...units].filter(([, v]) => v === null).map(([k]) => k);
  if (unmeasured.length) return fail(`not measured for ${unmeasured.length} cell(s) or shared server(s): ${list(unmeasured)}`);
  const left = silent.length ? `; not counted, no tokens generated: ${list(silent.map((c) => c.key))}` : '';
  const [label, value] = [...units].reduce((a, u) => (u[1]! < a[1]! ? u : a)) as [string, number];
  const pass = value > threshold;
  return { gate: 'throughput', pass, value, threshold, reason: `slowest ${label}: ${value.toFixed(1)} tok/s ${pass ? '>' : '≤'} ${threshold} tok/s${left}` };
}

function coverageGate(s: ReadinessInput, gates: Gates): Verdict {
  const missing = s.missing_cells.length;
  if (!gates.require_all_models_covered) {
    return { gate: 'coverage', pass: true, value: missing, threshold: 0, reason: `not required (gates.require_all_models_covered: false); ${missing} cell(s) missing` };
  }
  if (s.cells.length === 0) return { gate: 'coverage', pass: false, value: missing, threshold: 0, reason: 'no cell has results' };
  if (missing === 0) return { gate: 'coverage', pass: true, value: 0, threshold: 0, reason: `every variant has all its cells (${s.cells.length})` };
  const byVariant = new Map<string, string[]>();
  for (const m of s.missing_cells) byVariant.set(m.variant, [...(byVariant.get(m.variant) ?? []), m.dataset]);
  const parts = [...byVariant].map(([v, ds]) => `${v} lacks ${list(ds, 3)}`);
  return { gate: 'coverage', pass: false, value: missing, threshold: 0, reason: `${missing} cell(s) missing: ${list(parts, 3)}` };
}

function dummyGate(s: ReadinessInput, gates: Gates): Verdict {
  const dummyCells = s.cells.filter((c) => c.backend === 'dummy').map((c) => c.key);
  const enforced = s.production || gates.forbid_dummy;
  if (!enforced) {
    return { gate: 'no_dummy', pass: true, value: s.dummy, threshold: false, reason: s.dummy ? `dummy backend allowed: not a production pipeline (${dummyCells.length} dummy cell(s))` : 'no dummy backend' };
  }
  const why = s.production ? 'a production pipeline' : 'gates.forbid_dummy';
  if (s.dummy) return { gate: 'no_dummy', pass: false, value: true, threshold: false, reason: `${why} ran ${dummyCells.length} cell(s) on the dummy backend: ${list(dummyCells)}` };
  return { gate: 'no_dummy', pass: true, value: false, threshold: false, reason: `no dummy backend (required by ${why})` };
}

/**
 * Readiness gates of a run: error rate, GPU memory, throughput, coverage, no dummy backend in a
 * production pipeline. A gate whose number was not measured fails and says so.
 */
export function evaluateGates(summary: ReadinessInput, gates: Gates, gpuProfile: GpuProfile | null | undefined): GateResult[] {
  return [
    errorRateGate(summary, gates),
    memoryGate(summary, gates, gpuProfile ?? null),
    throughputGate(summary, gates),
    coverageGate(summary, gates),
    dummyGate(summary, gates),
  ].map((g) => withText(g, summary.cells.length, summary.missing_cells.length));
}
