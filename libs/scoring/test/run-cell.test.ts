import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DatasetConfig, loadNamed, type DatasetRecord, type EvalRequest, type EvalResponse } from '@evalgraph/core';
import type { Backend, CellRequestOptions, RequestSource, RunStats } from '@evalgraph/inference';
import { runCell, type CellInput } from '../src/runner/run-cell';

const REPO = path.resolve(__dirname, '../../..');
const N = 40;

const records: DatasetRecord[] = Array.from({ length: N }, (_, i) => ({ id: `q${i}`, input: `What is ${i} + 1?`, target: String(i + 1), metadata: {} }));

const dataset = DatasetConfig.parse({
  source: { kind: 'github', repo: 'openai/grade-school-math', revision: 'a'.repeat(40), files: [{ path: 'x', sha256: 'b'.repeat(64), mirror_path: 'x' }], license: 'MIT' },
  format: 'gsm8k',
  split: 'test',
  expected_records: N,
  scorer: 'gsm8k',
  prompt: { style: 'chat', fewshot: 0 },
});

const STATS: RunStats = { total: 0, sent: 0, fromCache: 0, failed: 0, retried: 0, promptTokens: 0, completionTokens: 0, wallMs: 1, peakGpuMemoryGiB: null, kvCacheUsageMax: null };

/** Answers sample i right when i is even; hands responses back in the order given, a macrotask apart. */
class ScriptedBackend implements Backend {
  readonly kind = 'dummy' as const;
  seenOptions: CellRequestOptions | null = null;
  /** Bytes of scored results on disk in the staging folder when the last response was handed over. */
  stagedBytesBeforeLast = -1;
  constructor(
    private readonly order: 'forward' | 'reverse',
    private readonly root: string,
    private readonly failAfter = Infinity,
  ) {}
  describe() {
    return { kind: 'scripted (test)', version: null, command: null };
  }
  async run(requests: RequestSource, opts: CellRequestOptions) {
    this.seenOptions = opts;
    const idx = Array.from({ length: requests.length }, (_, i) => i);
    if (this.order === 'reverse') idx.reverse();
    const responses: EvalResponse[] = [];
    for (const [n, i] of idx.entries()) {
      if (n >= this.failAfter) throw new Error('scripted backend failure');
      await new Promise((r) => setImmediate(r));
      if (n === idx.length - 1) this.stagedBytesBeforeLast = stagedBytes(this.root);
      const req = requests.at(i) as EvalRequest;
      const answer = i % 2 === 0 ? `#### ${Number(/What is (\d+)/.exec(JSON.stringify(req))![1]) + 1}` : '#### -1';
      const res: EvalResponse = { kind: 'generate', text: answer, finish_reason: 'stop', prompt_tokens: 10, completion_tokens: 3, latency_ms: 5, cached: false };
      opts.onResult?.(i, res);
      if (opts.keepResponses !== false) responses[i] = res;
    }
    return { responses, stats: { ...STATS, total: requests.length, sent: requests.length } };
  }
  async close() {}
}

function stagedBytes(root: string): number {
  const parent = path.join(root, 'results/t');
  if (!existsSync(parent)) return 0;
  let total = 0;
  for (const d of readdirSync(parent).filter((n) => n.includes('.staging-'))) {
    for (const f of readdirSync(path.join(parent, d))) total += statSync(path.join(parent, d, f)).size;
  }
  return total;
}

let root: string;
beforeEach(() => {
  root = mkdtempSync(path.join(tmpdir(), 'evalgraph-run-cell-'));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

function input(backend: Backend): CellInput {
  return {
    root,
    pipeline: 'p',
    cell: 'qwen3-8b/gsm8k',
    variant: 'qwen3-8b',
    modelName: 'qwen3-8b',
    model: loadNamed(REPO, 'model', 'qwen3-8b'),
    modeName: 'non-thinking',
    presetName: 'balanced',
    preset: loadNamed(REPO, 'preset', 'balanced'),
    gpuName: 'h100-80gb',
    gpu: loadNamed(REPO, 'gpu', 'h100-80gb'),
    datasetName: 'gsm8k',
    dataset,
    datasetSha256: 'c'.repeat(64),
    records,
    aux: {},
    englishOnly: false,
    sampleLimit: N,
    maxErrorRate: 0.05,
    resultsDir: 'results/t/cell',
    backend,
    configHashes: {},
    versions: {},
  };
}

const samplesOf = () => readFileSync(path.join(root, 'results/t/cell/samples.jsonl'), 'utf8');

describe('runCell streams a cell', () => {
  it('scores samples while generation is still going, and writes them in sample order whatever order they finish in', async () => {
    const backend = new ScriptedBackend('reverse', root);
    const summary = await runCell(input(backend));
    expect(backend.seenOptions?.keepResponses).toBe(false);
    expect(backend.stagedBytesBeforeLast).toBeGreaterThan(0);
    expect(summary.n).toBe(N);
    expect(summary.primary.value).toBeCloseTo(0.5, 10);
    const ids = samplesOf()
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l).id);
    expect(ids).toEqual(records.map((r) => r.id));
    const metrics = JSON.parse(readFileSync(path.join(root, 'results/t/cell/metrics.json'), 'utf8'));
    expect(metrics.n).toBe(N);
    expect(readdirSync(path.join(root, 'results/t'))).toEqual(['cell']);
  });

  it('records the sha256 and size of every other result file in run.json', async () => {
    await runCell(input(new ScriptedBackend('forward', root)));
    const dir = path.join(root, 'results/t/cell');
    const run = JSON.parse(readFileSync(path.join(dir, 'run.json'), 'utf8'));
    const digest = (f: string) => ({ sha256: createHash('sha256').update(readFileSync(path.join(dir, f))).digest('hex'), bytes: statSync(path.join(dir, f)).size });
    expect(readdirSync(dir).sort()).toEqual(['metrics.json', 'run.json', 'samples.jsonl']);
    expect(run.files).toEqual({ 'metrics.json': digest('metrics.json'), 'samples.jsonl': digest('samples.jsonl') });
  });

  it("records in run.json when the server worked for the cell (the backend's served window), and nothing when it did not", async () => {
    const served = { from: Date.UTC(2026, 0, 1, 0, 0, 10), to: Date.UTC(2026, 0, 1, 0, 0, 25) };
    const withServer = new ScriptedBackend('forward', root);
    const run = withServer.run.bind(withServer);
    withServer.run = async (r, o) => {
      const out = await run(r, o);
      return { ...out, stats: { ...out.stats, served } };
    };
    await runCell(input(withServer));
    const runFile = () => JSON.parse(readFileSync(path.join(root, 'results/t/cell/run.json'), 'utf8'));
    expect(runFile().served).toEqual({ from: '2026-01-01T00:00:10.000Z', to: '2026-01-01T00:00:25.000Z' });
    await runCell(input(new ScriptedBackend('forward', root)));
    expect(runFile()).not.toHaveProperty('served');
  });

  it('writes byte-identical samples whether responses arrive in order or reversed', async () => {
    await runCell(input(new ScriptedBackend('forward', root)));
    const forward = samplesOf();
    await runCell(input(new ScriptedBackend('reverse', root)));
    expect(samplesOf()).toBe(forward);
    expect(JSON.parse(forward.split('\n')[0]).prompt).toContain('What is 0 + 1?');
  });

  it('a backend failure mid-cell leaves the previous results and no staging folder', async () => {
    mkdirSync(path.join(root, 'results/t/cell'), { recursive: true });
    writeFileSync(path.join(root, 'results/t/cell/samples.jsonl'), 'previous\n');
    await expect(runCell(input(new ScriptedBackend('forward', root, 25)))).rejects.toThrow(/scripted backend failure/);
    expect(samplesOf()).toBe('previous\n');
    expect(readdirSync(path.join(root, 'results/t'))).toEqual(['cell']);
  });

  it('removes staging folders of killed runs of the cell, and keeps those of live ones', async () => {
    const dead = spawnSync(process.execPath, ['-e', '0']).pid;
    const live = process.ppid;
    for (const pid of [dead, live]) {
      mkdirSync(path.join(root, `results/t/cell.staging-${pid}`), { recursive: true });
      writeFileSync(path.join(root, `results/t/cell.staging-${pid}/samples.unordered`), 'x');
    }
    await runCell(input(new ScriptedBackend('forward', root)));
    expect(readdirSync(path.join(root, 'results/t')).sort()).toEqual(['cell', `cell.staging-${live}`]);
  });
});

describe('runCell records how it scored', () => {
  it('run.json says whether thinking text was stripped (auto: the mode), metrics.json the reference of each metric', async () => {
    for (const [modeName, strip] of [['thinking', true], ['non-thinking', false]] as const) {
      await runCell({ ...input(new ScriptedBackend('forward', root)), modeName });
      const run = JSON.parse(readFileSync(path.join(root, 'results/t/cell/run.json'), 'utf8'));
      expect(run.settings.strip_thinking).toBe(strip);
    }
    await runCell({ ...input(new ScriptedBackend('forward', root)), dataset: { ...dataset, strip_thinking: true } });
    expect(JSON.parse(readFileSync(path.join(root, 'results/t/cell/run.json'), 'utf8')).settings.strip_thinking).toBe(true);
    const metrics = JSON.parse(readFileSync(path.join(root, 'results/t/cell/metrics.json'), 'utf8'));
    expect(metrics.metrics.map((m: { reference?: string }) => m.reference)).toEqual([
      expect.stringMatching(/^lm-evaluation-harness@4e7e0d47 lm_eval\/tasks\/gsm8k\/gsm8k(-cot)?\.yaml flexible-extract/),
      expect.stringMatching(/strict-match/),
    ]);
  });
});
