import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DatasetConfig, type DatasetRecord, type EvalResponse } from '@evalgraph/core';

type PromptSpec = DatasetConfig['prompt'];
import { extractGsm8k, gsm8kExactMatch, gsm8kScorer, GSM8K_TEMPLATES } from '../src/gsm8k';
import type { ScoringContext } from '../src/types';

/**
 * Extraction edge cases: [response, reference, strict-match (gsm8k.yaml), its exact_match,
 * strict-match (gsm8k-cot.yaml "The answer is"), its exact_match, flexible-extract, its exact_match].
 *
 * Expected values were computed by running the reference code itself (lm-evaluation-harness @
 * 4e7e0d47f33bc71070c1d38394bafbb52b117163): RegexFilter.apply from lm_eval/filters/extraction.py
 * followed by take_first (lm_eval/filters/selection.py), with the patterns of
 * lm_eval/tasks/gsm8k/gsm8k.yaml and gsm8k-cot.yaml, then exact_match_hf_evaluate from
 * lm_eval/api/metrics.py with the yaml's metric_list options (ignore_case true, regexes_to_ignore
 * ",", "\$", "(?s).*#### ", "\.$").
 */
const CASES: [string, string, string, number, string, number, string, number][] = [
  ["Natalia sold 48/2 = 24 clips in May.\nNatalia sold 48+24 = 72 clips altogether.\n#### 72", "72", "72", 1, "[invalid]", 0, "72", 1],
  ["The total is 1,234 dollars.\n#### 1,234", "1234", "1,234", 1, "[invalid]", 0, "1,234", 1],
  ["#### $1,234.", "1234", "[invalid]", 0, "[invalid]", 0, "$1,234.", 1],
  ["#### -5", "-5", "-5", 1, "[invalid]", 0, "-5", 1],
  ["#### 5.", "5", "5.", 1, "[invalid]", 0, "5.", 1],
  ["#### 0.50", "0.5", "0.50", 0, "[invalid]", 0, "0.50", 0],
  ["#### 3.50", "3.5", "3.50", 0, "[invalid]", 0, "3.50", 0],
  ["So she has 18 eggs left. #### 18 eggs", "18", "18", 1, "[invalid]", 0, "18", 1],
  ["#### 18\n#### 19", "18", "18", 1, "[invalid]", 0, "19", 0],
  ["####18", "18", "[invalid]", 0, "[invalid]", 0, "18", 1],
  ["The answer is 42.", "42", "[invalid]", 0, "42", 1, "42.", 1],
  ["The answer is $42.", "42", "[invalid]", 0, "[invalid]", 0, "$42.", 1],
  ["The answer is 42", "42", "[invalid]", 0, "4", 0, "42", 1],
  ["The answer is 1,000.", "1000", "[invalid]", 0, "1,000", 1, "1,000.", 1],
  ["The answer is -7.", "-7", "[invalid]", 0, "-7", 1, "-7.", 1],
  ["the answer is 42.", "42", "[invalid]", 0, "[invalid]", 0, "42.", 1],
  ["The answer is 12.5.", "12.5", "[invalid]", 0, "12.5", 1, "12.5.", 1],
  ["First 10, then 20, finally 30.", "30", "[invalid]", 0, "[invalid]", 0, "30.", 1],
  ["She pays $12.50 in total.", "12.5", "[invalid]", 0, "[invalid]", 0, "$12.50", 0],
  ["She pays $12.50 in total.", "12.50", "[invalid]", 0, "[invalid]", 0, "$12.50", 1],
  ["The answer is 7 apples.", "7", "[invalid]", 0, "7", 1, "7", 1],
  ["I get 3 apples.", "3", "[invalid]", 0, "[invalid]", 0, "3", 1],
  ["Answer: 3", "3", "[invalid]", 0, "[invalid]", 0, "3", 1],
  ["It costs $5", "5", "[invalid]", 0, "[invalid]", 0, "$5", 1],
  ["The total is 2,500.", "2500", "[invalid]", 0, "[invalid]", 0, "2,500.", 1],
  ["Temperature drops to -3 degrees.", "-3", "[invalid]", 0, "[invalid]", 0, "-3", 1],
  ["The value is -12.", "-12", "[invalid]", 0, "[invalid]", 0, "-12.", 1],
  ["no numbers here", "5", "[invalid]", 0, "[invalid]", 0, "[invalid]", 0],
  ["", "5", "[invalid]", 0, "[invalid]", 0, "[invalid]", 0],
  ["He has 5 dollars. That is 100% of it.", "5", "[invalid]", 0, "[invalid]", 0, "100", 0],
  ["It takes 2.5 hours.", "2.5", "[invalid]", 0, "[invalid]", 0, "2.5", 1],
  ["It takes 1.5e3 seconds.", "1500", "[invalid]", 0, "[invalid]", 0, "3", 0],
  ["The result is 1/2.", "0.5", "[invalid]", 0, "[invalid]", 0, "2.", 0],
  ["x = 15...", "15", "[invalid]", 0, "[invalid]", 0, "15...", 0],
  ["Total: 10.00.", "10", "[invalid]", 0, "[invalid]", 0, "10.00.", 0],
  ["Total: 10.", "10", "[invalid]", 0, "[invalid]", 0, "10.", 1],
  ["The answer is 5. Let me double check: 2+3=5.", "5", "[invalid]", 0, "5.", 1, "5.", 1],
  ["12,34,56", "123456", "[invalid]", 0, "[invalid]", 0, "12,34,56", 1],
  ["The answer is .5.", "0.5", "[invalid]", 0, ".5", 0, ".5.", 0],
  ["Thus 3 + 4 = 7\n\n", "7", "[invalid]", 0, "[invalid]", 0, "7", 1],
  ["#### 7\n\nQuestion:", "7", "7", 1, "[invalid]", 0, "7", 1],
  ["The answer is 1,234,567.", "1234567", "[invalid]", 0, "1,234,567", 1, "1,234,567.", 1],
  ["-", "5", "[invalid]", 0, "[invalid]", 0, "[invalid]", 0],
  ["8 - 3 = 5 so 5", "5", "[invalid]", 0, "[invalid]", 0, "5", 1],
  ["The answer is 10.", "#### 10", "[invalid]", 0, "10", 1, "10.", 1],
  ["He needs 36 more.\n#### 36", "He had 20 and gets 16 more: 20+16=<<20+16=36>>36\n#### 36", "36", 1, "[invalid]", 0, "36", 1],];

const DATA = process.env.EVALGRAPH_DATA_MIRROR ?? path.resolve(__dirname, '../../../../shared/datasets');
const PROMPT_DEFAULT: PromptSpec = { style: 'chat', fewshot: 0 };

function ctxFor(prompt: Partial<PromptSpec> = {}, fewshotPool?: DatasetRecord[]): ScoringContext {
  const datasetConfig = DatasetConfig.parse({
    source: { kind: 'github', repo: 'openai/grade-school-math', revision: 'a'.repeat(40), files: [{ path: 'x', sha256: 'b'.repeat(64), mirror_path: 'x' }], license: 'MIT' },
    format: 'gsm8k',
    split: 'test',
    expected_records: 1319,
    scorer: 'gsm8k',
    prompt: { ...PROMPT_DEFAULT, ...prompt },
  });
  return { dataset: 'gsm8k', datasetConfig, maxTokens: 256, samplesPerTask: 1, workspaceRoot: '/tmp', services: {}, fewshotPool };
}

const gen = (text: string, finish_reason = 'stop'): EvalResponse => ({ kind: 'generate', text, finish_reason, prompt_tokens: 1, completion_tokens: 1, latency_ms: 1, cached: false });

/** A record as libs/datasets normalizes GSM8K: target = final number without commas. */
function toRecord(line: { question: string; answer: string }, i: number): DatasetRecord {
  const final = line.answer.split('####').pop()!.trim().replace(/,/g, '');
  return { id: `test-${i}`, input: line.question, target: final, metadata: { solution: line.answer } };
}

describe('GSM8K extraction matches lm-evaluation-harness', () => {
  it.each(CASES)('%j vs %j', (response, reference, strict, strictEm, strictCot, strictCotEm, flexible, flexibleEm) => {
    const plain = extractGsm8k(response, GSM8K_TEMPLATES.gsm8k);
    const cot = extractGsm8k(response, GSM8K_TEMPLATES['gsm8k-cot']);
    expect(plain.strict).toBe(strict);
    expect(cot.strict).toBe(strictCot);
    expect(plain.flexible).toBe(flexible);
    expect(cot.flexible).toBe(flexible);
    expect([gsm8kExactMatch(plain.strict, reference), gsm8kExactMatch(cot.strict, reference), gsm8kExactMatch(plain.flexible, reference)]).toEqual([
      strictEm,
      strictCotEm,
      flexibleEm,
    ]);
  });
  it('has at least 30 cases', () => expect(CASES.length).toBeGreaterThanOrEqual(30));
});

describe('GSM8K prompts', () => {
  const rec: DatasetRecord = { id: 'x', input: 'Tom has 3 apples and buys 4. How many?', target: '7', metadata: {} };
  it('zero-shot completion is "Question: q\\nAnswer:" with the yaml stop sequences', () => {
    const s = gsm8kScorer.buildRequests(rec, ctxFor({ style: 'completion' }));
    expect(s.requests[0]).toMatchObject({ kind: 'completion', prompt: `Question: ${rec.input}\nAnswer:`, stop: ['Question:', '</s>', '<|im_end|>'] });
    expect(s.renderedPrompt).toBe(`Question: ${rec.input}\nAnswer:`);
  });
  it('8-shot CoT in chat is multi-turn with the harness exemplars', () => {
    const s = gsm8kScorer.buildRequests(rec, ctxFor({ fewshot: 8 }));
    const req = s.requests[0];
    if (req.kind !== 'chat') throw new Error('expected chat');
    expect(req.messages).toHaveLength(17);
    expect(req.messages[0]).toEqual({ role: 'user', content: 'Q: There are 15 trees in the grove. Grove workers will plant trees in the grove today. After they are done, there will be 21 trees. How many trees did the grove workers plant today?\nA:' });
    expect(req.messages[1].role).toBe('assistant');
    expect(req.messages[15].content).toBe('Olivia had 23 dollars. 5 bagels for 3 dollars each will be 5 x 3 = 15 dollars. So she has 23 - 15 dollars left. 23 - 15 is 8. The answer is 8.');
    expect(req.messages[16]).toEqual({ role: 'user', content: `Q: ${rec.input}\nA:` });
    expect(req.stop).toEqual(['Q:', '</s>', '<|im_end|>']);
    expect(s.renderedPrompt.startsWith('<|user|>\nQ: There are 15 trees')).toBe(true);
  });
  it('8-shot CoT as completion joins turns with the target and few-shot delimiters', () => {
    const s = gsm8kScorer.buildRequests(rec, ctxFor({ fewshot: 2, style: 'completion' }));
    const req = s.requests[0];
    if (req.kind !== 'completion') throw new Error('expected completion');
    expect(req.prompt).toBe(
      `Q: ${GSM8K_TEMPLATES['gsm8k-cot'].exemplars![0].question}\nA: ${GSM8K_TEMPLATES['gsm8k-cot'].exemplars![0].target}\n\n` +
        `Q: ${GSM8K_TEMPLATES['gsm8k-cot'].exemplars![1].question}\nA: ${GSM8K_TEMPLATES['gsm8k-cot'].exemplars![1].target}\n\n` +
        `Q: ${rec.input}\nA:`,
    );
  });
  it('plain gsm8k few-shot takes the first records of the pool with their full solutions', () => {
    const pool: DatasetRecord[] = [{ id: 'train-0', input: 'Q0?', target: '1', metadata: { solution: 'a\n#### 1' } }];
    const s = gsm8kScorer.buildRequests(rec, ctxFor({ fewshot: 1, template: 'gsm8k', style: 'completion' }, pool));
    expect(s.requests[0]).toMatchObject({ prompt: `Question: Q0?\nAnswer: a\n#### 1\n\nQuestion: ${rec.input}\nAnswer:` });
    expect(() => gsm8kScorer.buildRequests(rec, ctxFor({ fewshot: 2, template: 'gsm8k' }, pool))).toThrow(/few-shot pool/);
  });
  it('rejects an unknown template and too many CoT shots', () => {
    expect(() => gsm8kScorer.buildRequests(rec, ctxFor({ template: 'gsm9k' }))).toThrow(/prompt.template/);
    expect(() => gsm8kScorer.buildRequests(rec, ctxFor({ fewshot: 9 }))).toThrow(/at most 8/);
  });
});

describe('GSM8K scorer', () => {
  const rec: DatasetRecord = { id: 'x', input: 'q', target: '1234', metadata: { solution: 'work\n#### 1,234' } };
  it('reports both filters, flexible-extract primary, and the outcome taxonomy', async () => {
    const ctx = ctxFor();
    const s = gsm8kScorer.buildRequests(rec, ctx);
    const [a] = await gsm8kScorer.score(s, [gen('so 1,234 in total')], ctx);
    expect(a).toMatchObject({ score: 1, scores: { flexible_extract: 1, strict_match: 0 }, outcome: 'correct', extracted: '1,234' });
    const [b] = await gsm8kScorer.score(s, [gen('#### 1234')], ctx);
    expect(b.scores).toEqual({ flexible_extract: 1, strict_match: 1 });
    const [c] = await gsm8kScorer.score(s, [gen('I think 12')], ctx);
    expect(c.outcome).toBe('wrong');
    const [d] = await gsm8kScorer.score(s, [gen('Let me think about it', 'length')], ctx);
    expect(d).toMatchObject({ outcome: 'truncated', extracted: null, score: 0 });
    const [e] = await gsm8kScorer.score(s, [gen('I cannot say')], ctx);
    expect(e.outcome).toBe('no_answer');
    const [f] = await gsm8kScorer.score(s, [{ kind: 'error', error: 'boom', latency_ms: 2 }], ctx);
    expect(f).toMatchObject({ outcome: 'server_error', scores: { flexible_extract: 0, strict_match: 0 } });
    const metrics = gsm8kScorer.aggregate([a, b, c, d, e, f], ctx);
    expect(metrics.map((m) => [m.name, m.value])).toEqual([
      ['flexible_extract', 2 / 6],
      ['strict_match', 1 / 6],
    ]);
  });
  it('oracle answers score 1 on both filters, wrong oracles 0', async () => {
    for (const template of ['gsm8k', 'gsm8k-cot', 'gsm8k-cot-zeroshot', 'gsm8k-cot-llama']) {
      const ctx = ctxFor({ template, fewshot: template === 'gsm8k' || template === 'gsm8k-cot-zeroshot' ? 0 : 8 });
      const s = gsm8kScorer.buildRequests(rec, ctx);
      const o = s.requests[0].oracle!;
      const [good] = await gsm8kScorer.score(s, [gen(o.answer!)], ctx);
      const [bad] = await gsm8kScorer.score(s, [gen(o.wrong!)], ctx);
      expect([template, good.scores, bad.scores]).toEqual([template, { flexible_extract: 1, strict_match: 1 }, { flexible_extract: 0, strict_match: 0 }]);
    }
  });

  const testFile = path.join(DATA, 'gsm8k/test.jsonl');
  it.skipIf(!existsSync(testFile))('every reference solution of the test set scores 100% on both filters; an off-by-one answer 0%', async () => {
    const lines = readFileSync(testFile, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { question: string; answer: string });
    expect(lines).toHaveLength(1319);
    const ctx = ctxFor();
    const right = [];
    const wrong = [];
    for (const [i, line] of lines.entries()) {
      const record = toRecord(line, i);
      const s = gsm8kScorer.buildRequests(record, ctx);
      right.push(...(await gsm8kScorer.score(s, [gen(line.answer)], ctx)));
      const bumped = line.answer.replace(/#### (.*)$/, (_, n: string) => `#### ${Number(n.replace(/,/g, '')) + 1}`);
      wrong.push(...(await gsm8kScorer.score(s, [gen(bumped)], ctx)));
    }
    const [flex, strict] = gsm8kScorer.aggregate(right, ctx);
    expect([flex.value, strict.value, flex.n]).toEqual([1, 1, 1319]);
    const [wflex, wstrict] = gsm8kScorer.aggregate(wrong, ctx);
    expect([wflex.value, wstrict.value]).toEqual([0, 0]);
  });
});
