import { describe, expect, it } from 'vitest';
import { ConfigError, DatasetConfig, type DatasetRecord, type EvalResponse } from '@evalgraph/core';
import { validatePlugin, type ScoringContext } from '@evalgraph/scoring';
import plugin, { regexAnswerScorer as scorer } from '../src';

const GSM_STYLE = { pattern: 'The answer is \\$?(-?[0-9][0-9,]*(?:\\.[0-9]+)?)', group_select: -1, ignore_chars: ',$', instruction: 'End with "The answer is N."', oracle_template: 'So. The answer is {target}.' };

function ctxFor(scorer_options: Record<string, unknown>): ScoringContext {
  const datasetConfig = DatasetConfig.parse({
    source: { kind: 'github', repo: 'o/r', revision: 'a'.repeat(40), files: [{ path: 'x', sha256: 'b'.repeat(64), mirror_path: 'x' }], license: 'MIT' },
    format: 'x',
    split: 'test',
    expected_records: 1,
    scorer: './tools/plugins/regex-answer',
    scorer_options,
  });
  return { dataset: 'toy', datasetConfig, maxTokens: 64, samplesPerTask: 1, workspaceRoot: '/tmp', services: {} };
}

const gen = (text: string): EvalResponse => ({ kind: 'generate', text, finish_reason: 'stop', prompt_tokens: 3, completion_tokens: 2, latency_ms: 5, cached: false });
const rec: DatasetRecord = { id: 'r1', input: 'How many apples?', target: '1234', metadata: {} };

describe('regex-answer plugin', () => {
  it('implements the plugin API as a scorer', () => {
    expect(validatePlugin('./tools/plugins/regex-answer', plugin, 'scorer').scorer).toBe(scorer);
  });

  it('asks with the instruction and lets the dummy answer in the expected form', () => {
    const s = scorer.buildRequests(rec, ctxFor(GSM_STYLE));
    expect(s.requests[0]).toMatchObject({ kind: 'chat', messages: [{ role: 'user', content: 'How many apples?\nEnd with "The answer is N."' }], oracle: { answer: 'So. The answer is 1234.' } });
  });

  it('extracts the last match and compares it without the ignored characters', async () => {
    const ctx = ctxFor(GSM_STYLE);
    const s = scorer.buildRequests(rec, ctx);
    const [right] = await scorer.score(s, [gen('First 12. The answer is 7. No wait. The answer is $1,234.')], ctx);
    expect(right).toMatchObject({ score: 1, outcome: 'correct', extracted: '1,234' });
    const [wrong] = await scorer.score(s, [gen('The answer is 1235.')], ctx);
    expect(wrong).toMatchObject({ score: 0, outcome: 'wrong', extracted: '1235' });
    const [none] = await scorer.score(s, [gen('1234')], ctx);
    expect(none).toMatchObject({ score: 0, outcome: 'no_answer', extracted: null });
    expect(scorer.aggregate([right, wrong, none], ctx)[0]).toMatchObject({ name: 'regex_match', value: 1 / 3 });
  });

  it('compares case-insensitively when asked (letter answers)', async () => {
    const ctx = ctxFor({ pattern: 'answer: ?\\(?([A-Da-d])\\)?', ignore_case: true });
    const s = scorer.buildRequests({ ...rec, target: 'B' }, ctx);
    expect((await scorer.score(s, [gen('My answer: (b)')], ctx))[0].score).toBe(1);
  });

  it('names the field when scorer_options are wrong', () => {
    expect(() => scorer.buildRequests(rec, ctxFor({ group_select: 1 }))).toThrow(ConfigError);
    expect(() => scorer.buildRequests(rec, ctxFor({ group_select: 1 }))).toThrow(/scorer_options\.pattern/);
  });
});
