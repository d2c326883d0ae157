import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DatasetConfig, meanMetric, type DatasetRecord, type EvalResponse, type SampleResult } from '@evalgraph/core';
import type { ScoringContext } from '../src/types';
import { bindInstructions, followInstructions, ifevalScorer, INSTRUCTION_IDS, isInstructionId, looseVariants } from '../src/ifeval';

const DATA = process.env.EVALGRAPH_DATA_MIRROR ?? path.resolve(__dirname, '../../../../shared/datasets');

function ctxFor(samplesPerTask = 1): ScoringContext {
  const datasetConfig = DatasetConfig.parse({
    source: { kind: 'github', repo: 'Podtech-AI/IFEval', revision: 'a'.repeat(40), files: [{ path: 'data/input_data.jsonl', sha256: 'b'.repeat(64), mirror_path: 'ifeval/input_data.jsonl' }], license: 'Apache-2.0' },
    format: 'ifeval',
    split: 'test',
    expected_records: 541,
    scorer: 'ifeval',
    max_tokens: 1280,
  });
  return { dataset: 'ifeval', datasetConfig, maxTokens: 1280, samplesPerTask, workspaceRoot: '/tmp', services: {} };
}

const gen = (text: string, finish_reason = 'stop'): EvalResponse => ({ kind: 'generate', text, finish_reason, prompt_tokens: 3, completion_tokens: 5, latency_ms: 7, cached: false });

/** A canonical record as libs/datasets normalizes an input_data.jsonl line. */
function record(key: number | string, prompt: string, ids: string[], kwargs: Record<string, unknown>[]): DatasetRecord {
  return { id: String(key), input: prompt, metadata: { instruction_id_list: ids, kwargs } };
}

interface RawLine {
  key: number;
  prompt: string;
  instruction_id_list: string[];
  kwargs: Record<string, unknown>[];
}

function loadDataset(): DatasetRecord[] {
  const lines = readFileSync(path.join(DATA, 'ifeval/input_data.jsonl'), 'utf8').split('\n').filter((l) => l.trim() !== '');
  return lines.map((l) => {
    const raw = JSON.parse(l) as RawLine;
    return record(raw.key, raw.prompt, raw.instruction_id_list, raw.kwargs);
  });
}

describe('IFEval dataset', () => {
  const records = loadDataset();

  it('loads all 541 prompts, every instruction id known, every kwargs dict accepted', () => {
    expect(records).toHaveLength(541);
    const seen = new Set<string>();
    for (const r of records) {
      const ids = r.metadata.instruction_id_list as string[];
      for (const id of ids) {
        expect(isInstructionId(id), `${r.id}: ${id}`).toBe(true);
        seen.add(id);
      }
      expect(bindInstructions(r).checks).toHaveLength(ids.length);
    }
    // The dataset uses all 25 instructions of the registry, 834 instructions in all.
    expect([...seen].sort()).toEqual([...INSTRUCTION_IDS].sort());
    expect(records.reduce((n, r) => n + (r.metadata.instruction_id_list as string[]).length, 0)).toBe(834);
  });

  it('gives the same verdicts when kwargs carry every key with None (the Hugging Face layout)', () => {
    const allKeys = [...new Set(records.flatMap((r) => (r.metadata.kwargs as Record<string, unknown>[]).flatMap((k) => Object.keys(k))))];
    const response = '"<<Title>>\n\nHere is *my* answer. It is short!\n\n* one\n* two\n\nP.S. Is there anything else I can help with?"';
    for (const r of records.slice(0, 120)) {
      const hf = (r.metadata.kwargs as Record<string, unknown>[]).map((k) => ({ ...Object.fromEntries(allKeys.map((key) => [key, null])), ...k }));
      const padded = { ...r, metadata: { ...r.metadata, kwargs: hf } };
      expect(followInstructions(bindInstructions(padded), response)).toEqual(followInstructions(bindInstructions(r), response));
    }
  });

  it('builds one chat request per prompt with the prompt as the user message', () => {
    const ctx = ctxFor();
    for (const r of records.slice(0, 20)) {
      const s = ifevalScorer.buildRequests(r, ctx);
      expect(s.requests).toHaveLength(1);
      const [req] = s.requests;
      expect(req.kind).toBe('chat');
      if (req.kind !== 'chat') continue;
      expect(req.messages).toEqual([{ role: 'user', content: r.input }]);
      expect(req.max_tokens).toBe(1280);
      expect(req.oracle).toBeUndefined();
      expect(s.renderedPrompt).toContain(r.input);
    }
    expect(ifevalScorer.buildRequests(records[0], ctxFor(3)).requests.map((q) => q.sample_index)).toEqual([0, 1, 2]);
  });
});

describe('IFEval records with bad metadata', () => {
  it('fail at buildRequests with the record id and the reason', () => {
    const ctx = ctxFor();
    expect(() => ifevalScorer.buildRequests(record(7, 'p', ['punctuation:no_comma'], []), ctx)).toThrow(/record 7: 1 instructions but 0 kwargs/);
    expect(() => ifevalScorer.buildRequests(record(8, 'p', ['keywords:unknown'], [{}]), ctx)).toThrow(/record 8: keywords:unknown: unknown instruction id/);
    expect(() => ifevalScorer.buildRequests({ id: '9', input: 'p', metadata: {} }, ctx)).toThrow(/record 9: metadata needs instruction_id_list/);
  });
});

describe('IFEval strict and loose', () => {
  it('tries the eight variants of evaluation_lib.test_instruction_following_loose in order', () => {
    expect(looseVariants('first *line*\nmiddle\nlast')).toEqual([
      'first *line*\nmiddle\nlast',
      'first line\nmiddle\nlast',
      'middle\nlast',
      'first *line*\nmiddle',
      'middle',
      'middle\nlast',
      'first line\nmiddle',
      'middle',
    ]);
  });

  it('counts an instruction followed loosely when a preamble, a sign-off or markdown stars break it strictly', () => {
    const r = record(1, 'Wrap it in quotes, no commas, end with Peace!, 2 sentences max, lowercase.', ['startend:quotation', 'startend:end_checker', 'punctuation:no_comma', 'change_case:english_lowercase'], [{}, { end_phrase: 'Peace!' }, {}, {}]);
    const bound = bindInstructions(r);
    // A preamble line breaks quotation, comma and case strictly; removing the first line fixes them.
    expect(followInstructions(bound, 'Sure, here it is:\n"we went home peace!"')).toEqual({ strict: [false, true, false, false], loose: [true, true, true, true] });
    // Markdown stars: "**Peace!**" ends the text only once the stars are removed.
    expect(followInstructions(bound, '"ok" then **peace!**')).toEqual({ strict: [false, false, true, true], loose: [false, true, true, true] });
    // Nothing rescues a response that ignores the instruction in every line.
    expect(followInstructions(bound, 'One, two, three.\nFour, five.\nSix, seven.')).toEqual({ strict: [false, false, false, false], loose: [false, false, false, false] });
  });

  it('never counts an empty or blank response (or variant) as following', () => {
    const bound = bindInstructions(record(2, 'p', ['punctuation:no_comma', 'keywords:forbidden_words'], [{}, { forbidden_words: ['x'] }]));
    expect(followInstructions(bound, '')).toEqual({ strict: [false, false], loose: [false, false] });
    expect(followInstructions(bound, ' \n ')).toEqual({ strict: [false, false], loose: [false, false] });
  });
});

describe('IFEval scorer', () => {
  const ctx = ctxFor();
  const r1 = record(1, 'No commas. Use the word cat.', ['punctuation:no_comma', 'keywords:existence'], [{}, { keywords: ['cat'] }]);
  const r2 = record(2, 'Title and postscript.', ['detectable_format:title', 'detectable_content:postscript', 'startend:quotation'], [{}, { postscript_marker: 'P.S.' }, {}]);
  const r3 = record(3, 'Lowercase.', ['change_case:english_lowercase'], [{}]);

  async function scoreOne(r: DatasetRecord, res: EvalResponse): Promise<SampleResult> {
    const results = await ifevalScorer.score(ifevalScorer.buildRequests(r, ctx), [res], ctx);
    expect(results).toHaveLength(1);
    return results[0];
  }

  it('scores one generation: prompt-level 0/1, instruction-level fraction, verdicts in detail', async () => {
    const a = await scoreOne(r1, gen('The cat sat.'));
    expect(a.score).toBe(1);
    expect(a.outcome).toBe('correct');
    expect(a.scores).toEqual({ prompt_level_strict_acc: 1, inst_level_strict_acc: 1, prompt_level_loose_acc: 1, inst_level_loose_acc: 1 });
    expect(a.detail).toEqual({ instruction_id_list: ['punctuation:no_comma', 'keywords:existence'], follow_instruction_list_strict: [true, true], follow_instruction_list_loose: [true, true] });
    expect([a.id, a.response, a.prompt_tokens, a.completion_tokens, a.latency_ms]).toEqual(['1', 'The cat sat.', 3, 5, 7]);

    const b = await scoreOne(r2, gen('Here you go:\n"<<Joy>> P.S. bye"'));
    expect(b.scores).toEqual({ prompt_level_strict_acc: 0, inst_level_strict_acc: 2 / 3, prompt_level_loose_acc: 1, inst_level_loose_acc: 1 });
    expect(b.outcome).toBe('wrong');

    const c = await scoreOne(r3, gen('this is cut off, in the middle of a', 'length'));
    expect(c.outcome).toBe('correct');
    const d = await scoreOne(r3, gen('This is cut off', 'length'));
    expect(d.outcome).toBe('truncated');
    const e = await scoreOne(r3, gen('  '));
    expect(e.outcome).toBe('no_answer');
  });

  it('records a server error as a failed sample whose instructions count as not followed', async () => {
    const err = await scoreOne(r2, { kind: 'error', error: 'HTTP 500', status: 500, latency_ms: 4 });
    expect(err.outcome).toBe('server_error');
    expect(err.score).toBe(0);
    const ok = await scoreOne(r1, gen('The cat sat.'));
    const [, inst] = ifevalScorer.aggregate([ok, err], ctx);
    // 2 followed instructions of r1, 3 unanswered of r2.
    expect(inst.value).toBeCloseTo(2 / 5, 12);
    expect(inst.n).toBe(5);
  });

  it('aggregates the four harness metrics, prompt-level strict first, inst-level clustered by prompt', async () => {
    const results = [
      await scoreOne(r1, gen('The cat sat.')), // strict [T,T]
      await scoreOne(r1, gen('The dog, sat.')), // strict [F,F]
      await scoreOne(r2, gen('Here you go:\n"<<Joy>> P.S. bye"')), // strict [T,T,F], loose [T,T,T]
      await scoreOne(r3, gen('all lowercase here')), // strict [T]
    ].map((r, i) => ({ ...r, id: `p${i}` }));
    const metrics = ifevalScorer.aggregate(results, ctx);
    expect(metrics.map((m) => m.name)).toEqual(['prompt_level_strict_acc', 'inst_level_strict_acc', 'prompt_level_loose_acc', 'inst_level_loose_acc']);
    const [pStrict, iStrict, pLoose, iLoose] = metrics;
    expect(pStrict.value).toBe(2 / 4);
    expect(pLoose.value).toBe(3 / 4);
    expect(pStrict.n).toBe(4);
    // Harness agg_inst_level_acc: mean over all instructions of all prompts.
    expect(iStrict.value).toBeCloseTo(5 / 8, 12);
    expect(iLoose.value).toBeCloseTo(6 / 8, 12);
    const flat = [1, 1, 0, 0, 1, 1, 0, 1];
    const clusters = ['p0', 'p0', 'p1', 'p1', 'p2', 'p2', 'p2', 'p3'];
    expect(iStrict).toEqual(meanMetric('inst_level_strict_acc', flat, clusters));
    expect(iStrict.stderr).not.toBeNull();
    expect(pStrict.stderr).toBeCloseTo(Math.sqrt((0.5 * 0.5) / 3), 12);
  });

  it('scores n generations per prompt and clusters prompt-level stderr by prompt', async () => {
    const ctx3 = ctxFor(3);
    const s = ifevalScorer.buildRequests(r1, ctx3);
    const results = await ifevalScorer.score(s, [gen('cat'), gen('cat, cat'), gen('dog')], ctx3);
    expect(results.map((r) => [r.sample_index, r.score])).toEqual([[0, 1], [1, 0], [2, 0]]);
    const other = await ifevalScorer.score(ifevalScorer.buildRequests(r3, ctx3), [gen('ok'), gen('Ok'), gen('ok')], ctx3);
    const [p] = ifevalScorer.aggregate([...results, ...other], ctx3);
    expect(p).toEqual(meanMetric('prompt_level_strict_acc', [1, 0, 0, 1, 0, 1], ['1', '1', '1', '3', '3', '3']));
  });
});
