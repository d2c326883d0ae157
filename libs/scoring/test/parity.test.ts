import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { DatasetConfig, type EvalResponse } from '@evalgraph/core';
import { pyFindall, pySub } from '../src/exact-match';
import { gsm8kScorer, type Gsm8kTemplateName } from '../src/gsm8k';
import { lastBoxedOnlyString, mathScorer, PythonError, stripString } from '../src/math';
import type { ScoringContext } from '../src/types';
import { gsm8kCases, mathCases, regexCases, type ParityCase } from './fixtures/parity/cases';

/**
 * Differential test: the scorers against the reference implementations' own Python code
 * (fixtures/parity/reference.py: lm-evaluation-harness's RegexFilter, exact_match_hf_evaluate,
 * postprocess_generated_text and hendrycks_math utils.py, with Python's own `re`), on generated
 * cases. python3 is required: without it this test fails, it does not skip.
 */
const REFERENCE = path.join(__dirname, 'fixtures/parity/reference.py');

function runReference(cases: ParityCase[]): unknown[] {
  const res = spawnSync('python3', [REFERENCE], { input: JSON.stringify(cases), encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  if (res.error) throw new Error(`the parity test needs python3 on PATH (${res.error.message}); install it (Debian: apt-get install python3)`);
  if (res.status !== 0) throw new Error(`reference.py failed (exit ${res.status}): ${res.stderr}`);
  return JSON.parse(res.stdout) as unknown[];
}

function datasetConfig(scorer: 'gsm8k' | 'math', template?: Gsm8kTemplateName): DatasetConfig {
  return DatasetConfig.parse({
    source: { kind: 'github', repo: 'o/r', revision: 'a'.repeat(40), files: [{ path: 'x', sha256: 'b'.repeat(64), mirror_path: 'x' }], license: 'MIT' },
    format: scorer,
    split: 'test',
    expected_records: 1,
    scorer,
    prompt: { style: 'chat', fewshot: 0, ...(template ? { template } : {}) },
  });
}

function ctxOf(config: DatasetConfig, stripThinking: boolean): ScoringContext {
  return { dataset: 'parity', datasetConfig: config, maxTokens: 64, samplesPerTask: 1, workspaceRoot: '/tmp', services: {}, stripThinking };
}

const generation = (text: string, reasoning?: string): EvalResponse => ({
  kind: 'generate',
  text,
  ...(reasoning !== undefined ? { reasoning } : {}),
  finish_reason: 'stop',
  prompt_tokens: 1,
  completion_tokens: 1,
  latency_ms: 1,
  cached: false,
});

const configs = new Map<string, DatasetConfig>();
function configFor(scorer: 'gsm8k' | 'math', template?: Gsm8kTemplateName): DatasetConfig {
  const key = `${scorer}:${template ?? ''}`;
  if (!configs.has(key)) configs.set(key, datasetConfig(scorer, template));
  return configs.get(key)!;
}

async function ours(c: ParityCase): Promise<unknown> {
  switch (c.kind) {
    case 'findall':
      return pyFindall(c.pattern, c.text);
    case 'sub':
      return pySub(c.pattern, '', c.text);
    case 'gsm8k': {
      const ctx = ctxOf(configFor('gsm8k', c.template), c.strip_thinking);
      const record = { id: 'p', input: 'q', target: c.reference.split('#### ').pop()!, metadata: { solution: c.reference } };
      const [r] = await gsm8kScorer.score(gsm8kScorer.buildRequests(record, ctx), [generation(c.text, c.reasoning)], ctx);
      const detail = r.detail as { strict_match_extracted: string | null; flexible_extract_extracted: string | null };
      return {
        strict: detail.strict_match_extracted ?? '[invalid]',
        flexible: detail.flexible_extract_extracted ?? '[invalid]',
        strict_match: r.scores.strict_match,
        flexible_extract: r.scores.flexible_extract,
      };
    }
    case 'math': {
      const ctx = ctxOf(configFor('math'), c.strip_thinking);
      const record = { id: 'p', input: 'q', target: c.target, metadata: {} };
      const [r] = await mathScorer.score(mathScorer.buildRequests(record, ctx), [generation(c.text)], ctx);
      let strip: string | null = null;
      if (r.extracted !== null) {
        try {
          strip = stripString(r.extracted);
        } catch (e) {
          if (!(e instanceof PythonError)) throw e;
          strip = `EXC:${e.message.split(' ')[0]}`;
        }
      }
      // last_boxed_only_string of the scored text, recomputed here only to show where a disagreement starts.
      const scored = c.strip_thinking ? c.text.split('</think>').pop()!.replace(/^\s+/, '') : c.text;
      return { last_boxed: lastBoxedOnlyString(scored), extracted: r.extracted, strip, exact_match: r.scores.exact_match };
    }
  }
}

type Disagreement = { case: ParityCase; reference: unknown; ours: unknown };

async function disagreements(cases: readonly ParityCase[], reference: readonly unknown[]): Promise<Disagreement[]> {
  const out: Disagreement[] = [];
  for (let i = 0; i < cases.length; i++) {
    const mine = await ours(cases[i]);
    if (JSON.stringify(mine) !== JSON.stringify(reference[i])) out.push({ case: cases[i], reference: reference[i], ours: mine });
  }
  return out;
}

describe('scorers agree with the reference Python code on generated cases', () => {
  const gsm8k = gsm8kCases(600);
  const math = mathCases(400);
  const regex = regexCases(gsm8k.slice(0, 60).map((c) => (c.kind === 'gsm8k' ? c.text : '')));
  // The CRLF case of issue 21: gsm8k-cot's strict filter must keep the last digit.
  const crlf: ParityCase = { kind: 'gsm8k', template: 'gsm8k-cot', text: 'The answer is 1234\r\n', reference: '#### 1234', strip_thinking: false };
  const all = [...gsm8k, ...math, ...regex, crlf];
  // One python3 process for every case.
  let reference: unknown[] = [];
  const slice = (from: readonly ParityCase[]) => {
    const start = all.indexOf(from[0]);
    return reference.slice(start, start + from.length);
  };

  beforeAll(() => {
    reference = runReference(all);
    expect(reference).toHaveLength(all.length);
  });

  it('GSM8K: strict-match and flexible-extract, extracted strings and exact_match, 4 templates, strip_thinking on and off', async () => {
    expect(new Set(gsm8k.map((c) => (c.kind === 'gsm8k' ? c.template : ''))).size).toBe(4);
    expect(await disagreements(gsm8k, slice(gsm8k))).toEqual([]);
  });

  it('MATH: last boxed answer, strip_string (or the exception it raises) and is_equiv', async () => {
    expect(await disagreements(math, slice(math))).toEqual([]);
  });

  it('Python regex: findall and sub of every harness pattern on line endings, separators and Unicode text', async () => {
    expect(regex.length).toBeGreaterThan(3000);
    expect(await disagreements(regex, slice(regex))).toEqual([]);
  });

  it('the cases cover what the issue names, and the reference is not trivially agreeing', async () => {
    const texts = [...gsm8k, ...math].map((c) => ('text' in c ? c.text : ''));
    for (const probe of ['\r\n', '\u2028', '\u2029', '\x85', '\x0b', '\x0c', '\x00', '\u0661', '1,234', '-5', '3.50', '</think>', '\\boxed ', '\\fbox', '\\dfrac']) {
      expect(texts.some((t) => t.includes(probe)), JSON.stringify(probe)).toBe(true);
    }
    expect(slice([crlf])[0]).toMatchObject({ strict: '1234', strict_match: 1 });
    expect(await disagreements([crlf], slice([crlf]))).toEqual([]);
    // Both sides give each outcome often: a scorer that always said 0 (or 1) could not pass.
    const rows = slice(gsm8k) as { strict_match: number; flexible_extract: number }[];
    const count = (key: 'strict_match' | 'flexible_extract', v: number) => rows.filter((r) => r[key] === v).length;
    expect([count('strict_match', 1), count('strict_match', 0), count('flexible_extract', 1), count('flexible_extract', 0)].every((n) => n >= 20)).toBe(true);
    const mathScores = slice(math).map((r) => (r as { exact_match: number }).exact_match);
    expect(mathScores.filter((x) => x === 1).length).toBeGreaterThan(50);
  });
});
