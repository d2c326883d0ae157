import { describe, expect, it } from 'vitest';
import { DatasetConfig, type DatasetRecord, type EvalResponse } from '@evalgraph/core';
import { exactMatchScorer, numericScorer, lastNumber, regexFilter, exactMatch, pySub, pyStrip, aggregateScores, scoredText, resolveStripThinking } from '../src/exact-match';
import type { ScoringContext } from '../src/types';

function ctxFor(scorer: 'exact-match' | 'numeric', extra: Partial<DatasetConfig> = {}, samplesPerTask = 1): ScoringContext {
  const datasetConfig = DatasetConfig.parse({
    source: { kind: 'github', repo: 'o/r', revision: 'a'.repeat(40), files: [{ path: 'x', sha256: 'b'.repeat(64), mirror_path: 'x' }], license: 'MIT' },
    format: 'x',
    split: 'test',
    expected_records: 1,
    scorer,
    ...extra,
  });
  return { dataset: 'toy', datasetConfig, maxTokens: 64, samplesPerTask, workspaceRoot: '/tmp', services: {} };
}

const gen = (text: string, finish_reason = 'stop'): EvalResponse => ({ kind: 'generate', text, finish_reason, prompt_tokens: 3, completion_tokens: 2, latency_ms: 5, cached: false });
const rec: DatasetRecord = { id: 'r1', input: 'What is the capital of France?', target: 'Paris', metadata: {} };

describe('exact-match scorer', () => {
  it('compares the stripped response with the target', async () => {
    const ctx = ctxFor('exact-match');
    const s = exactMatchScorer.buildRequests(rec, ctx);
    expect(s.requests).toHaveLength(1);
    expect(s.requests[0]).toMatchObject({ kind: 'chat', messages: [{ role: 'user', content: rec.input }], max_tokens: 64 });
    expect(s.renderedPrompt).toBe('<|user|>\nWhat is the capital of France?');
    const [ok] = await exactMatchScorer.score(s, [gen('  Paris\n')], ctx);
    expect(ok).toMatchObject({ score: 1, outcome: 'correct', extracted: 'Paris', target: 'Paris' });
    const [bad] = await exactMatchScorer.score(s, [gen('paris')], ctx);
    expect(bad).toMatchObject({ score: 0, outcome: 'wrong' });
    const [empty] = await exactMatchScorer.score(s, [gen('  ', 'length')], ctx);
    expect(empty).toMatchObject({ score: 0, outcome: 'truncated', extracted: null });
    const [none] = await exactMatchScorer.score(s, [gen('')], ctx);
    expect(none.outcome).toBe('no_answer');
    const [err] = await exactMatchScorer.score(s, [{ kind: 'error', error: 'HTTP 500', status: 500, latency_ms: 1 }], ctx);
    expect(err).toMatchObject({ outcome: 'server_error', score: 0, scores: { exact_match: 0 }, detail: { error: 'HTTP 500', status: 500 } });
  });

  it('oracle answers score correct and wrong', async () => {
    const ctx = ctxFor('exact-match');
    const s = exactMatchScorer.buildRequests(rec, ctx);
    const o = s.requests[0].oracle!;
    expect((await exactMatchScorer.score(s, [gen(o.answer!)], ctx))[0].score).toBe(1);
    expect((await exactMatchScorer.score(s, [gen(o.wrong!)], ctx))[0].score).toBe(0);
  });

  it('honours the harness options in scorer_options and rejects unknown ones', async () => {
    const ctx = ctxFor('exact-match', { scorer_options: { ignore_case: true, ignore_punctuation: true } });
    const s = exactMatchScorer.buildRequests(rec, ctx);
    expect((await exactMatchScorer.score(s, [gen('paris!')], ctx))[0].score).toBe(1);
    const bad = ctxFor('exact-match', { scorer_options: { ignorecase: true } });
    expect(() => exactMatchScorer.score(s, [gen('Paris')], bad)).toThrow(/scorer_options/);
  });

  it('builds a raw completion prompt and n generations when asked', async () => {
    const ctx = ctxFor('exact-match', { prompt: { style: 'completion', fewshot: 0 }, stop: ['\n'] }, 3);
    const s = exactMatchScorer.buildRequests(rec, ctx);
    expect(s.requests.map((r) => r.sample_index)).toEqual([0, 1, 2]);
    expect(s.requests[0]).toMatchObject({ kind: 'completion', prompt: rec.input, stop: ['\n'] });
    const out = await exactMatchScorer.score(s, [gen('Paris'), gen('Lyon'), gen('Paris')], ctx);
    expect(out.map((r) => [r.sample_index, r.score])).toEqual([[0, 1], [1, 0], [2, 1]]);
    const [m] = exactMatchScorer.aggregate(out, ctx);
    expect(m.value).toBeCloseTo(2 / 3);
  });
});

describe('strip_thinking', () => {
  it('on: what follows the last </think>, left-stripped (the harness think_end_token); off: reasoning and answer', () => {
    expect(scoredText({ text: '<think>maybe 12</think>\n\n42' }, true)).toBe('42');
    expect(scoredText({ text: 'a</think>b</think> 7 ' }, true)).toBe('7 ');
    expect(scoredText({ text: '<think>still thinking about 12' }, true)).toBe('<think>still thinking about 12');
    expect(scoredText({ text: '42', reasoning: 'maybe 12' }, true)).toBe('42');
    expect(scoredText({ text: '42', reasoning: 'maybe 12' }, false)).toBe('<think>\nmaybe 12\n</think>\n\n42');
    expect(scoredText({ text: '<think>a</think>42' }, false)).toBe('<think>a</think>42');
  });
  it('auto follows the mode; an explicit setting wins', () => {
    expect(resolveStripThinking({ strip_thinking: 'auto' }, { reasoning: true })).toBe(true);
    expect(resolveStripThinking({ strip_thinking: 'auto' }, { reasoning: false })).toBe(false);
    expect(resolveStripThinking({ strip_thinking: 'auto' }, undefined)).toBe(false);
    expect(resolveStripThinking({ strip_thinking: false }, { reasoning: true })).toBe(false);
    expect(resolveStripThinking({ strip_thinking: true }, { reasoning: false })).toBe(true);
  });
  it('decides whether a scorer reads the reasoning', async () => {
    for (const strip of [true, false]) {
      const ctx = { ...ctxFor('numeric'), stripThinking: strip };
      const s = numericScorer.buildRequests({ id: 'n', input: 'q', target: '42', metadata: {} }, ctx);
      const [inline] = await numericScorer.score(s, [gen('<think>so 42</think>')], ctx);
      expect(inline).toMatchObject({ score: strip ? 0 : 1, extracted: strip ? null : '42', response: '<think>so 42</think>' });
      const [split] = await numericScorer.score(s, [{ kind: 'generate', text: '', reasoning: 'so 42', finish_reason: 'stop', prompt_tokens: 1, completion_tokens: 1, latency_ms: 1, cached: false }], ctx);
      expect(split).toMatchObject({ score: strip ? 0 : 1, reasoning: 'so 42' });
    }
  });
});

describe('numeric scorer', () => {
  const num: DatasetRecord = { id: 'n1', input: 'How many?', target: '1234', metadata: {} };
  it('takes the last number in the response', async () => {
    const ctx = ctxFor('numeric');
    const s = numericScorer.buildRequests(num, ctx);
    const texts: [string, number, string | null][] = [
      ['First 12, then 1,234.', 1, '1,234'],
      ['It is 1234.00', 1, '1234.00'],
      ['1234 apples, no wait, 1233', 0, '1233'],
      ['$1,234', 1, '1,234'],
      ['no idea', 0, null],
    ];
    for (const [t, score, extracted] of texts) {
      const [r] = await numericScorer.score(s, [gen(t)], ctx);
      expect([r.score, r.extracted]).toEqual([score, extracted]);
    }
    const o = s.requests[0].oracle!;
    expect((await numericScorer.score(s, [gen(o.answer!)], ctx))[0].score).toBe(1);
    expect((await numericScorer.score(s, [gen(o.wrong!)], ctx))[0].score).toBe(0);
  });
  it('handles negatives and decimals', () => {
    expect(lastNumber('from -3.5 to -0.25')).toBe('-0.25');
    expect(lastNumber('value .5')).toBe('.5');
  });
  it('rejects a record whose target is not a number', () => {
    expect(() => numericScorer.buildRequests({ ...num, target: 'many' }, ctxFor('numeric'))).toThrow(/not a number/);
  });
});

describe('Python regex semantics', () => {
  it('$ also matches before a final newline, as in Python re', () => {
    // Python: re.sub(r"\.$", "", "42.\n") == "42\n"
    expect(pySub('\\.$', '', '42.\n')).toBe('42\n');
    // Python: re.sub(r"(?s).*#### ", "", "a\nb #### 5") == "5"
    expect(pySub('(?s).*#### ', '', 'a\nb #### 5')).toBe('5');
  });
  it('strips Python whitespace', () => {
    expect(pyStrip('\x1c 7 \ufeff')).toBe('7 \ufeff');
  });
  it('regexFilter picks tuples and falls back', () => {
    expect(regexFilter('a 12 b 3', '(-?[$0-9.,]{2,})|(-?[0-9]+)', -1)).toBe('3');
    expect(regexFilter('none', '#### (\\-?[0-9\\.\\,]+)')).toBe('[invalid]');
  });
  it('exactMatch mirrors exact_match_hf_evaluate', () => {
    expect(exactMatch('A.', 'a', { ignoreCase: true, regexesToIgnore: ['\\.$'] })).toBe(1);
    expect(exactMatch('A.', 'a', { ignoreCase: false, regexesToIgnore: ['\\.$'] })).toBe(0);
  });
  it('aggregateScores keeps metric order', () => {
    expect(aggregateScores([], ['a', 'b']).map((m) => m.name)).toEqual(['a', 'b']);
  });
});
