import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError, ContaminationReport, IntegrityError, SftExample, TrainDataConfig, TrainDataManifest, parseJsonl, type DatasetRecord } from '@evalgraph/core';
import { decontaminate, decontaminationDatasets, ngrams, normalizedWords, prepareTrainData, trainDataDir } from '../src';

const rec = (id: string, input: string, extra: Partial<DatasetRecord> = {}): DatasetRecord => ({ id, input, metadata: {}, ...extra });
const ex = (id: string, user: string, assistant: string): SftExample => ({ id, source: 's', messages: [{ role: 'user', content: user }, { role: 'assistant', content: assistant }] });

const CODE = 'def total_price(items, tax_rate):\n    subtotal = sum(item.price for item in items)\n    tax = subtotal * tax_rate\n    return round(subtotal + tax, 2)';
// 20 words; any 13 consecutive of them form a planted 13-gram.
const EVAL_Q = 'Janet has three ducks that lay sixteen eggs per day and she eats three of them for breakfast every single morning';

describe('13-gram normalization (lm-evaluation-harness janitor)', () => {
  it('lower-cases ASCII letters, deletes punctuation and splits on whitespace', () => {
    expect(normalizedWords("Hello, World! It's 3.5\tkm\n-- far.")).toEqual(['hello', 'world', 'its', '35', 'km', 'far']);
  });
  it('takes every n-gram and none from a shorter text', () => {
    expect(ngrams(['a', 'b', 'c'], 2)).toEqual(['a b', 'b c']);
    expect(ngrams(['a', 'b'], 3)).toEqual([]);
  });
});

describe('decontaminate on planted overlaps', () => {
  const evalSets = [
    { dataset: 'gsm8k', records: [rec('t-1', EVAL_Q), rec('t-2', 'too short to check')] },
    { dataset: 'mbpp', records: [rec('7', 'Write a function.', { metadata: { code: CODE } })] },
  ];
  const words = EVAL_Q.split(' ');
  const planted13 = words.slice(3, 16).join(' ');
  const only12 = words.slice(3, 15).join(' ');

  it('drops an example sharing one 13-gram (other case and punctuation), keeps one sharing 12 words', () => {
    const examples = [
      ex('a', `Note: ${planted13.toUpperCase().replace(/ /g, ', ')}!`, 'ok'),
      ex('b', `Then ${only12} and more unrelated words follow here`, 'fine'),
      ex('c', 'Unrelated question?', 'Unrelated answer.'),
      ex('d', 'Write code', CODE),
    ];
    const { contaminated, report } = decontaminate(examples, evalSets, 13);
    expect([...contaminated].sort()).toEqual([0, 3]);
    expect(ContaminationReport.parse(report)).toBeTruthy();
    const gsm = report.datasets.find((d) => d.dataset === 'gsm8k')!;
    expect(gsm).toMatchObject({ records: 2, too_short: 1, overlapping_examples: 1 });
    expect(gsm.examples[0]).toMatchObject({ id: 'a', eval_id: 't-1' });
    expect(gsm.examples[0].ngram.split(' ')).toHaveLength(13);
    expect(report.datasets.find((d) => d.dataset === 'mbpp')).toMatchObject({ overlapping_examples: 1, examples: [{ id: 'd', eval_id: '7' }] });
    expect(report.dropped).toBe(2);
  });

  it('with a shorter n the 12-word overlap counts too', () => {
    const { contaminated } = decontaminate([ex('b', `Then ${only12} and more`, 'fine')], evalSets, 12);
    expect(contaminated.size).toBe(1);
  });
});

describe('prepareTrainData', () => {
  let root: string;
  const gsmRows = [
    { question: 'Tom has 2 apples and buys 3 more. How many apples does he have?', answer: 'He has 2+3=<<2+3=5>>5 apples.\n#### 5' },
    { question: 'Tom has 2 apples and buys 3 more. How many apples does he have?', answer: 'He has 2+3=<<2+3=5>>5 apples.\n#### 5' },
    { question: EVAL_Q + '?', answer: 'She eats 3.\n#### 3' },
    { question: 'A bus carries 40 people and 12 get off. How many remain on it?', answer: '40-12=<<40-12=28>>28 remain.\n#### 28' },
    { question: 'Sam reads 10 pages a day for 7 days. How many pages?', answer: '10*7=<<10*7=70>>70\n#### 70' },
    { question: 'x', answer: 'y\n#### 1' },
  ];
  const text = gsmRows.map((r) => JSON.stringify(r)).join('\n') + '\n';
  const sha = createHash('sha256').update(text).digest('hex');
  const config = (over: Record<string, unknown> = {}) =>
    TrainDataConfig.parse({
      system: 'You are a careful tutor.',
      sources: [{ name: 'gsm', format: 'gsm8k', split: 'train', kind: 'github', repo: 'o/r', revision: 'a'.repeat(40), license: 'MIT', files: [{ path: 'train.jsonl', sha256: sha, mirror_path: 'gsm8k/train.jsonl' }], limit: 2 }],
      filters: { min_chars: 30 },
      decontamination: { datasets: ['gsm8k'] },
      mirror: 'mirror',
      ...over,
    });
  const evalSets = [{ dataset: 'gsm8k', records: [rec('gsm8k-test-0', EVAL_Q)] }];

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'evalgraph-train-data-'));
    mkdirSync(join(root, 'mirror/gsm8k'), { recursive: true });
    writeFileSync(join(root, 'mirror/gsm8k/train.jsonl'), text);
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('builds chat examples, drops filtered, duplicate and contaminated ones, keeps the limit and writes all three files', async () => {
    const { manifest, contamination } = await prepareTrainData({ root, name: 'mix', config: config(), evalSets, mirror: join(root, 'mirror') });
    expect(manifest.sources[0]).toMatchObject({ read: 6, kept: 2, dropped: { filtered: 1, duplicate: 1, contaminated: 1, over_limit: 1 } });
    expect(contamination.datasets[0]).toMatchObject({ dataset: 'gsm8k', overlapping_examples: 1, examples: [{ id: 'gsm/2' }] });
    const dir = trainDataDir(root, 'mix');
    const data = readFileSync(join(dir, 'data.jsonl'), 'utf8');
    const lines = parseJsonl(data).map((l) => SftExample.parse(l));
    expect(lines.map((l) => l.id)).toEqual(['gsm/0', 'gsm/3']);
    expect(lines[0].messages).toEqual([
      { role: 'system', content: 'You are a careful tutor.' },
      { role: 'user', content: gsmRows[0].question },
      { role: 'assistant', content: 'He has 2+3=5 apples.\nThe answer is 5.' },
    ]);
    expect(TrainDataManifest.parse(JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'))).sha256).toBe(createHash('sha256').update(data).digest('hex'));
    expect(existsSync(join(dir, 'contamination.json'))).toBe(true);
  });

  it('is deterministic: the same inputs give the same bytes', async () => {
    await prepareTrainData({ root, name: 'mix', config: config(), evalSets, mirror: join(root, 'mirror') });
    const first = readFileSync(join(trainDataDir(root, 'mix'), 'data.jsonl'));
    await prepareTrainData({ root, name: 'mix', config: config(), evalSets, mirror: join(root, 'mirror') });
    expect(readFileSync(join(trainDataDir(root, 'mix'), 'data.jsonl')).equals(first)).toBe(true);
  });

  it('names the field of an unknown split, and refuses a source whose bytes are not the pinned ones', async () => {
    const bad = config();
    bad.sources[0] = { ...bad.sources[0], format: 'mbpp', split: 'tran' };
    const err = await prepareTrainData({ root, name: 'mix', config: bad, evalSets, mirror: join(root, 'mirror') }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).message).toMatch(/configs\/train-data\/mix\.yaml: sources\.0\.split: expected a split of format mbpp: one of prompt, test, validation, train, found "tran"/);
    writeFileSync(join(root, 'mirror/gsm8k/train.jsonl'), text + '\n');
    const integrity = await prepareTrainData({ root, name: 'mix', config: config(), evalSets, mirror: join(root, 'mirror') }).catch((e: unknown) => e);
    expect(integrity).toBeInstanceOf(IntegrityError);
    expect((integrity as Error).message).toMatch(/train-data mix \(source gsm\): train\.jsonl \(source\.files\.0 of configs\/train-data\/mix\.yaml/);
  });

  it('an unknown evaluation set to check against is a config error with a did-you-mean', () => {
    mkdirSync(join(root, 'configs/datasets/gsm8k'), { recursive: true });
    writeFileSync(join(root, 'configs/datasets/gsm8k/dataset.yaml'), '{}');
    expect(() => decontaminationDatasets(root, 'mix', config({ decontamination: { datasets: ['gsm8', 'gsm8k'] } }))).toThrow(/decontamination\.datasets\.0: expected a dataset under configs\/datasets \(gsm8k\), found "gsm8" — did you mean "gsm8k"\?/);
    expect(decontaminationDatasets(root, 'mix', config({ decontamination: { datasets: 'all' } }))).toEqual(['gsm8k']);
  });
});
