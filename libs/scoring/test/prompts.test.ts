import { describe, expect, it } from 'vitest';
import { DatasetConfig } from '@evalgraph/core';
import { buildGenerationRequests, buildQaTurns, renderMessages, renderRequest, turnsToMessages, turnsToSingleTurn, turnsToText } from '../src/prompts';
import type { ScoringContext } from '../src/types';

function ctxFor(prompt: Record<string, unknown>, extra: Record<string, unknown> = {}, samplesPerTask = 1): ScoringContext {
  const datasetConfig = DatasetConfig.parse({
    source: { kind: 'github', repo: 'o/r', revision: 'a'.repeat(40), files: [{ path: 'x', sha256: 'b'.repeat(64), mirror_path: 'x' }], license: 'MIT' },
    format: 'x',
    split: 'test',
    expected_records: 1,
    scorer: 'exact-match',
    prompt,
    ...extra,
  });
  return { dataset: 'toy', datasetConfig, maxTokens: 99, samplesPerTask, workspaceRoot: '/tmp', services: {} };
}

const examples = [
  { question: 'Q: a\nA:', answer: 'ans a' },
  { question: 'Q: b\nA:', answer: 'ans b' },
];
const turns = buildQaTurns(examples, 'Q: c\nA:', { system: 'SYS', targetDelimiter: ' ', fewshotDelimiter: '\n\n' });

describe('harness-style prompt turns', () => {
  // Expected strings computed by running lm_eval/api/utils.py (harness 4e7e0d47) on the same
  // Message list: "".join(m.to_text() ...) and multiturn_to_singleturn(messages).
  it('renders as raw completion text like Message.to_text', () => {
    expect(turnsToText(turns)).toBe('SYSQ: a\nA: ans a\n\nQ: b\nA: ans b\n\nQ: c\nA:');
  });
  it('collapses to one user turn like multiturn_to_singleturn', () => {
    expect(turnsToSingleTurn(turns)).toEqual([
      { role: 'system', content: 'SYS' },
      { role: 'user', content: 'Q: a\nA: ans a\n\nQ: b\nA: ans b\n\nQ: c\nA:' },
    ]);
  });
  it('keeps few-shot examples as separate turns (fewshot_as_multiturn)', () => {
    expect(turnsToMessages(turns).map((m) => m.role)).toEqual(['system', 'user', 'assistant', 'user', 'assistant', 'user']);
    expect(turnsToMessages(turns)[2]).toEqual({ role: 'assistant', content: 'ans a' });
  });
});

describe('rendering for samples.jsonl', () => {
  it('tags chat roles and shows completion prompts and log-likelihood pairs as text', () => {
    expect(renderMessages([{ role: 'system', content: 's' }, { role: 'user', content: 'u' }])).toBe('<|system|>\ns\n<|user|>\nu');
    expect(renderRequest({ kind: 'completion', prompt: 'p', sample_index: 0 })).toBe('p');
    expect(renderRequest({ kind: 'loglikelihood', context: 'c', continuation: ' x', sample_index: 0 })).toBe('c x');
  });
});

describe('buildGenerationRequests', () => {
  it('chat by default, with the config system prompt, cap and stop', () => {
    const g = buildGenerationRequests({ turns: buildQaTurns([], 'hi', { targetDelimiter: ' ', fewshotDelimiter: '\n\n' }), stop: ['Q:'] }, ctxFor({ system: 'Be brief.' }));
    expect(g.requests).toEqual([{ kind: 'chat', messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'hi' }], max_tokens: 99, stop: ['Q:'], sample_index: 0 }]);
    expect(g.renderedPrompt).toBe('<|system|>\nBe brief.\n<|user|>\nhi');
  });
  it('dataset stop replaces the scorer default; completion style flattens the turns', () => {
    const g = buildGenerationRequests({ turns, stop: ['Q:'], oracle: { answer: 'x' } }, ctxFor({ style: 'completion' }, { stop: ['\n\n'] }, 2));
    expect(g.requests.map((r) => r.sample_index)).toEqual([0, 1]);
    expect(g.requests[0]).toEqual({ kind: 'completion', prompt: turnsToText(turns), max_tokens: 99, stop: ['\n\n'], sample_index: 0, oracle: { answer: 'x' } });
  });
  it('can collapse few-shot turns into one user message', () => {
    const g = buildGenerationRequests({ turns, multiturn: false }, ctxFor({}));
    expect(g.requests[0]).toMatchObject({ messages: turnsToSingleTurn(turns) });
  });
});
