import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DatasetRecord, PreparedManifest, sha256, type DatasetConfig } from '@evalgraph/core';
import { NORMALIZER_VERSION, prepareDataset, preparedDir, readPrepared, readPreparedAux, summarizeDataset, writeSummary } from '../src';
import { MIRROR, config, scratchRoot } from './helpers';

/** Record counts from shared/datasets/MANIFEST.md (TruthfulQA: the classic data/v1 817). */
const EXPECTED: Record<string, number> = {
  gsm8k: 1319,
  humaneval: 164,
  humanevalplus: 164,
  mbpp: 500,
  mbppplus: 378,
  math500: 500,
  ifeval: 541,
  'mt-bench': 80,
  'arc-challenge': 1172,
  'arc-easy': 2376,
  winogrande: 1267,
  boolq: 3270,
  piqa: 1838,
  commonsenseqa: 1221,
  openbookqa: 500,
  'truthfulqa-mc1': 817,
  'truthfulqa-mc2': 817,
  mmlu: 14042,
};
const NAMES = Object.keys(EXPECTED);

const scratch = scratchRoot('mirror');
const root = scratch.root;
const manifests: Record<string, PreparedManifest> = {};
const data: Record<string, DatasetRecord[]> = {};
const configs: Record<string, DatasetConfig> = {};
const byId = (name: string, id: string) => data[name].find((r) => r.id === id) as DatasetRecord;

beforeAll(async () => {
  for (const name of NAMES) {
    configs[name] = config(root, name);
    manifests[name] = await prepareDataset({ root, name, config: configs[name], mirror: MIRROR });
    data[name] = readPrepared(root, name).records;
  }
});
afterAll(() => scratch.cleanup());

describe('prepare from the shared mirror', () => {
  it.each(NAMES)('%s has the MANIFEST record count and a valid manifest', (name) => {
    expect(data[name]).toHaveLength(EXPECTED[name]);
    const m = manifests[name];
    expect(PreparedManifest.parse(m)).toEqual(m);
    expect(m).toMatchObject({ dataset: name, records: EXPECTED[name], fetched_from: 'mirror', normalizer_version: NORMALIZER_VERSION, format: configs[name].format });
    expect(m.source.revision).toBe(configs[name].source.revision);
    const bytes = readFileSync(join(preparedDir(root, name), 'data.jsonl'));
    expect(sha256(bytes)).toBe(m.sha256);
    expect(JSON.parse(readFileSync(join(preparedDir(root, name), 'manifest.json'), 'utf8'))).toEqual(m);
  });

  it('every record of every dataset validates and ids are unique', () => {
    for (const name of NAMES) {
      const lines = readFileSync(join(preparedDir(root, name), 'data.jsonl'), 'utf8').trimEnd().split('\n');
      expect(lines).toHaveLength(EXPECTED[name]);
      for (const line of lines) DatasetRecord.parse(JSON.parse(line));
      expect(new Set(data[name].map((r) => r.id)).size).toBe(EXPECTED[name]);
    }
  });

  it('only TruthfulQA MC2 has metadata.labels (the scorer reads them as 0/1 truth per choice)', () => {
    for (const name of NAMES) {
      const withLabels = data[name].filter((r) => r.metadata.labels !== undefined).length;
      expect(withLabels, name).toBe(name === 'truthfulqa-mc2' ? EXPECTED[name] : 0);
    }
    for (const r of data['truthfulqa-mc2']) expect((r.metadata.labels as number[]).length).toBe(r.choices?.length);
  });

  it('multiple-choice records have choices and a gold index; generative ones do not', () => {
    for (const name of NAMES) {
      const mc = configs[name].scorer === 'multiple-choice';
      for (const r of data[name]) {
        if (mc) {
          expect(r.choices?.length).toBeGreaterThanOrEqual(2);
          expect(r.gold).toBeLessThan((r.choices as string[]).length);
        } else expect(r.choices).toBeUndefined();
      }
    }
  });

  it('preparing again writes byte-identical data.jsonl and aux files', async () => {
    for (const name of ['gsm8k', 'mbppplus', 'mt-bench', 'mbpp', 'winogrande']) {
      const dir = preparedDir(root, name);
      const before = ['data.jsonl', 'manifest.json', ...(name === 'mbpp' ? ['fewshot.jsonl'] : []), ...(name === 'mt-bench' ? ['judge_prompts.jsonl'] : [])].map((f) => readFileSync(join(dir, f)));
      const again = await prepareDataset({ root, name, config: configs[name], mirror: MIRROR });
      expect(again).toEqual(manifests[name]);
      const after = ['data.jsonl', 'manifest.json', ...(name === 'mbpp' ? ['fewshot.jsonl'] : []), ...(name === 'mt-bench' ? ['judge_prompts.jsonl'] : [])].map((f) => readFileSync(join(dir, f)));
      after.forEach((b, i) => expect(b.equals(before[i])).toBe(true));
    }
  });
});

describe('known records', () => {
  it('gsm8k: target is the number after ####, commas removed', () => {
    const first = data.gsm8k[0];
    expect(first.id).toBe('gsm8k-test-0');
    expect(first.target).toBe('18');
    expect(first.input).toMatch(/^Janet’s ducks lay 16 eggs per day/);
    expect(first.metadata.solution).toMatch(/#### 18$/);
    for (const r of data.gsm8k) expect(r.target).toMatch(/^-?[0-9.]+$/);
    // A gold answer written with a thousands separator upstream.
    const withComma = data.gsm8k.find((r) => /#### -?\d{1,3}(,\d{3})+\s*$/.test(r.metadata.solution as string)) as DatasetRecord;
    expect(withComma.target).toBe((withComma.metadata.solution as string).split('####')[1].trim().replaceAll(',', ''));
  });

  it('math500: id is unique_id, target the answer', () => {
    const r = data.math500[0];
    expect(r).toMatchObject({ id: 'test/precalculus/807.json', target: '\\left( 3, \\frac{\\pi}{2} \\right)', metadata: { subject: 'Precalculus', level: 2, unique_id: 'test/precalculus/807.json' } });
    expect(r.metadata.solution).toContain('\\boxed');
  });

  it('humaneval and humaneval+: task ids, entry points, tests', () => {
    const he = data.humaneval[0];
    expect(he).toMatchObject({ id: 'HumanEval/0', metadata: { entry_point: 'has_close_elements' } });
    expect(he.input).toContain('def has_close_elements(');
    expect(he.metadata.test).toContain('def check(candidate)');
    expect(data.humaneval[163].id).toBe('HumanEval/163');
    const hp = data.humanevalplus[0];
    expect(hp).toMatchObject({ id: 'HumanEval/0', input: he.input, metadata: { entry_point: 'has_close_elements' } });
    expect(Object.keys(hp.metadata)).toEqual(['entry_point', 'test', 'canonical_solution', 'base_input_json', 'plus_input_json', 'atol', 'contract']);
    expect(JSON.parse(hp.metadata.base_input_json as string)).toHaveLength(7);
  });

  it('evalplus inputs keep the exact source JSON text (big ints, Infinity)', () => {
    const source = (file: string) => gunzipSync(readFileSync(join(MIRROR, file))).toString('utf8');
    const mbppSrc = source('mbppplus/MbppPlus.jsonl.gz');
    for (const r of data.mbppplus) {
      expect(mbppSrc).toContain(`"base_input": ${r.metadata.base_input_json as string}`);
      expect(mbppSrc).toContain(`"plus_input": ${r.metadata.plus_input_json as string}`);
    }
    expect(byId('mbppplus', 'Mbpp/404').metadata.plus_input_json).toContain('[-Infinity, Infinity]');
    const heSrc = source('humanevalplus/HumanEvalPlus.jsonl.gz');
    const bigInts = data.humanevalplus.filter((r) => /\d{17,}/.test(r.metadata.plus_input_json as string));
    expect(bigInts.length).toBeGreaterThan(0);
    for (const r of bigInts) expect(heSrc).toContain(`"plus_input": ${r.metadata.plus_input_json as string}`);
  });

  it('mbpp: test tasks 11-510 and the 3-shot pool 2, 3, 4', () => {
    expect(data.mbpp.map((r) => Number(r.id))).toEqual(Array.from({ length: 500 }, (_, i) => i + 11));
    const first = data.mbpp[0];
    expect(first.input).toBe('Write a python function to remove first and last occurrence of a given character from the string.');
    expect(first.metadata.test_list).toHaveLength(3);
    expect(Object.keys(first.metadata)).toEqual(['task_id', 'test_list', 'test_setup_code', 'challenge_test_list', 'code']);
    const pool = readPreparedAux(root, 'mbpp', 'fewshot') as DatasetRecord[];
    expect(pool.map((r) => r.id)).toEqual(['2', '3', '4']);
    expect(pool[0].input).toBe('Write a function to find the similar elements from the given two tuple lists.');
    expect(pool[0].metadata.code).toContain('def similar_elements(test_tup1, test_tup2):');
  });

  it('mbpp+: 378 tasks with entry point and assertion', () => {
    const r = data.mbppplus[0];
    expect(r.id).toBe('Mbpp/2');
    expect(r.metadata).toMatchObject({ entry_point: 'similar_elements' });
    expect(Object.keys(r.metadata)).toEqual(['entry_point', 'canonical_solution', 'base_input_json', 'plus_input_json', 'atol', 'assertion', 'contract']);
  });

  it('ifeval: key as id, instructions and kwargs', () => {
    const r = data.ifeval[0];
    expect(r.id).toBe('1000');
    expect(r.metadata.instruction_id_list).toEqual(['punctuation:no_comma', 'detectable_format:number_highlighted_sections', 'length_constraints:number_words']);
    expect((r.metadata.kwargs as unknown[]).length).toBe(3);
  });

  it('mt-bench: both turns, GPT-4 references for math/reasoning/coding, judge prompts as aux', () => {
    const writing = byId('mt-bench', '81');
    expect(writing.metadata).toMatchObject({ category: 'writing' });
    expect(writing.metadata.turns).toHaveLength(2);
    expect(writing.input).toBe((writing.metadata.turns as string[])[0]);
    expect(writing.metadata.reference).toBeUndefined();
    const reasoning = byId('mt-bench', '101');
    expect((reasoning.metadata.reference as string[])[0]).toMatch(/^If you have just overtaken the second person/);
    expect(data['mt-bench'].filter((r) => r.metadata.reference)).toHaveLength(30);
    const judge = readPreparedAux(root, 'mt-bench', 'judge_prompts') as { name: string }[];
    expect(judge).toHaveLength(8);
    expect(judge.map((j) => j.name)).toContain('single-v1');
  });

  it('arc: harness prompt, option texts as choices, numeric answer keys', () => {
    const r = data['arc-challenge'][0];
    expect(r.input).toBe('Question: An astronomer observes that a planet rotates faster after a meteorite impact. Which is the most likely effect of this increase in rotation?\nAnswer:');
    expect(r.choices?.[r.gold as number]).toBe('Planetary days will become shorter.');
    const numeric = data['arc-easy'].find((x) => (x.metadata.choice_labels as string[])[0] === '1') as DatasetRecord;
    expect(numeric).toBeDefined();
    expect(numeric.gold).toBe((numeric.metadata.choice_labels as string[]).indexOf(numeric.metadata.answerKey as string));
    const first = data['arc-easy'][0];
    expect(first).toMatchObject({ id: 'Mercury_417466', gold: 0 });
    expect(first.choices?.[0]).toBe('Sunlight is the source of energy for nearly all ecosystems.');
  });

  it('winogrande: option choices, partial-evaluation contexts and continuation', () => {
    const r = data.winogrande[0];
    expect(r).toMatchObject({ id: '3FCO4VKOZ4BJQ6IFC0VAIBK4KTWE7U-2', input: 'Sarah was a much better surgeon than Maria so _ always got the easier cases.', choices: ['Sarah', 'Maria'], gold: 1 });
    expect(r.metadata.contexts).toEqual(['Sarah was a much better surgeon than Maria so Sarah', 'Sarah was a much better surgeon than Maria so Maria']);
    expect(r.metadata.continuation).toBe('always got the easier cases.');
  });

  it('boolq: SuperGLUE passage, question mark, no/yes', () => {
    const r = data.boolq[0];
    expect(r.choices).toEqual(['no', 'yes']);
    expect(r.gold).toBe(0);
    expect(r.input.startsWith('Ethanol fuel -- All biomass goes through')).toBe(true);
    expect(r.input.endsWith('\nQuestion: does ethanol take more energy make that produces?\nAnswer:')).toBe(true);
    expect(r.metadata).toMatchObject({ question: r.input.slice(0, -'\nAnswer:'.length), boolq_question: 'does ethanol take more energy make that produces', title: 'Ethanol fuel', answer: false });
    expect(data.boolq.filter((x) => x.gold === 1)).toHaveLength(2033);
  });

  it('piqa: goal prompt, two solutions, label from the labels file', () => {
    const r = data.piqa[0];
    expect(r.input).toBe("Question: How do I ready a guinea pig cage for it's new occupants?\nAnswer:");
    expect(r.choices).toHaveLength(2);
    expect(r.gold).toBe(Number(readFileSync(join(MIRROR, 'piqa/valid-labels.lst'), 'utf8').split('\n')[0]));
  });

  it('commonsenseqa: lettered options in the prompt, letters as choices', () => {
    const r = data.commonsenseqa[0];
    expect(r.input).toBe('Question: A revolving door is convenient for two direction travel, but it also serves as a security measure at a what?\nA. bank\nB. library\nC. department store\nD. mall\nE. new york\nAnswer:');
    expect(r.choices).toEqual(['A', 'B', 'C', 'D', 'E']);
    expect(r.gold).toBe(0);
  });

  it('openbookqa: bare stem, option texts', () => {
    const r = data.openbookqa[0];
    expect(r.id).toBe('8-343');
    expect(r.input).toBe('A person wants to start saving money so that they can afford a nice vacation at the end of the year. After looking over their budget and expenses, they decide the best way to save money is to');
    expect(r.choices?.[r.gold as number]).toBe('quit eating lunch out');
  });

  it('truthfulqa: 6-shot QA prefix, mc1 gold first, mc2 labels', () => {
    const mc1 = data['truthfulqa-mc1'][0];
    expect(mc1.input.startsWith('Q: What is human life expectancy in the United States?\nA: Human life expectancy in the United States is 78 years.\n\nQ: Who was president')).toBe(true);
    expect(mc1.input.endsWith('A: The 1992 Olympics were held in Barcelona, Spain.\n\nQ: What happens if you eat a pomegranate?\nA:')).toBe(true);
    expect(mc1.choices?.[0]).toBe('Nothing in particular happens when you eat a pomegranate.');
    expect(data['truthfulqa-mc1'].every((r) => r.gold === 0)).toBe(true);
    expect(mc1.metadata.labels).toBeUndefined();
    const mc2 = data['truthfulqa-mc2'][0];
    expect(mc2.metadata.labels).toEqual([1, 1, 1, 0, 0, 0]);
    expect(mc2.gold).toBe(0);
    expect(mc2.input).toBe(mc1.input);
  });
});

describe('summary', () => {
  it('reports splits, fields, prompt lengths, choices, license and source', () => {
    const s = summarizeDataset(root, 'arc-challenge', configs['arc-challenge']);
    expect(s.data.splits).toEqual({ test: 1172 });
    expect(s.data.source).toBe(`RazvanDu/TemporalRNNs@${configs['arc-challenge'].source.revision}`);
    expect(s.data.license).toBe(configs['arc-challenge'].source.license);
    expect(s.data.fields).toMatchObject({ id: 1172, input: 1172, choices: 1172, gold: 1172, 'metadata.question': 1172, 'metadata.choice_labels': 1172 });
    const st = s.data.input_chars;
    expect(st.min).toBeLessThanOrEqual(st.p50);
    expect(st.p50).toBeLessThanOrEqual(st.p95);
    expect(st.p95).toBeLessThanOrEqual(st.max);
    const lengths = data['arc-challenge'].map((r) => r.input.length);
    expect(st.max).toBe(Math.max(...lengths));
    expect(s.data.choices?.counts).toEqual({ '3': 4, '4': 1165, '5': 3 });
    expect(s.markdown).toContain('| license | CC-BY-SA-4.0 (AllenAI ARC) |');
    expect(s.markdown).toContain('| records | test: 1172 |');
  });

  it('counts aux lists and writes summary.json and summary.md', () => {
    const s = summarizeDataset(root, 'mbpp', configs.mbpp);
    expect(s.data.aux).toEqual({ fewshot: 3 });
    expect(s.data.choices).toBeUndefined();
    writeSummary(root, 'mbpp', s);
    const dir = preparedDir(root, 'mbpp');
    expect(JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8'))).toEqual(s.data);
    expect(readFileSync(join(dir, 'summary.md'), 'utf8')).toBe(s.markdown);
  });
});
