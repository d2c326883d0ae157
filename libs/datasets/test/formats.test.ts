import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { IntegrityError, sha256, type DatasetConfig } from '@evalgraph/core';
import { NORMALIZERS, parseCsv, prepareDataset, rawJsonMembers, readPrepared, gsm8kTarget, hellaswagPreprocess, mmluDescription } from '../src';
import { FIXTURE_MIRROR, config, scratchRoot } from './helpers';

const scratch = scratchRoot('fixtures');
const root = scratch.root;
afterAll(() => scratch.cleanup());

/** The repo's config with its files narrowed to the fixture's and their sha256 computed from the fixture. */
function fixtureConfig(name: string, files: string[], records: number): DatasetConfig {
  const cfg = config(root, name);
  const pick = cfg.source.files.filter((f) => files.includes(f.mirror_path));
  expect(pick).toHaveLength(files.length);
  return {
    ...cfg,
    expected_records: records,
    source: { ...cfg.source, files: pick.map((f) => ({ ...f, sha256: sha256(readFileSync(join(FIXTURE_MIRROR, f.mirror_path))) })) },
  };
}

describe('hellaswag fixture (rowanz/hellaswag format)', () => {
  it('normalizes as the harness preprocess does (expected values computed with its Python code)', async () => {
    const cfg = fixtureConfig('hellaswag', ['hellaswag/hellaswag_val.jsonl'], 3);
    const m = await prepareDataset({ root, name: 'hellaswag', config: cfg, mirror: FIXTURE_MIRROR });
    expect(m).toMatchObject({ records: 3, split: 'validation', fetched_from: 'mirror' });
    const [a, b, c] = readPrepared(root, 'hellaswag').records;
    expect(a).toMatchObject({
      id: '7',
      input: 'Baking cookies: A woman places a tray of dough on the counter. She',
      choices: ['opens the oven and slides the tray inside.', 'throws the tray at the ceiling.', 'paints the dough blue with a brush.', 'sings to the tray for an hour.'],
      gold: 0,
    });
    expect(b).toMatchObject({
      id: '12',
      input: 'Home and Garden: How to water a cactus. Check the soil first.',
      choices: [' Water it every hour of the day.', ' Paint the pot. Use bright colors.', ' Press a finger into the soil. If it is dry, water it slowly.', 'Move the cactus into the freezer. overnight.'],
      gold: 2,
    });
    expect(b.metadata).toMatchObject({ activity_label: 'Home and Garden', ctx_b: '', split_type: 'zeroshot' });
    expect(c).toMatchObject({ input: 'Skateboarding: A boy rolls down a ramp on a skateboard. The boy', gold: 3 });
  });

  it('the real config (unverified sha256) rejects bytes that differ from its pin', async () => {
    const e = await prepareDataset({ root, name: 'hellaswag', config: { ...config(root, 'hellaswag'), expected_records: 3 }, mirror: FIXTURE_MIRROR }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(IntegrityError);
    expect((e as Error).message).toContain('0aa3b88843990f3f10a97b9575c94d7b71fb2205240ba04ae4884d9e9c992588');
  });

  it('preprocess matches the harness on brackets and spaces (value from its Python code)', () => {
    expect(hellaswagPreprocess('  [header] How to x [title] Do y.  [step] Z ')).toBe(' How to x. Do y.  Z');
  });
});

describe('mmlu fixture (hendrycks CSV format, 2 subjects x 2 rows)', () => {
  it('normalizes as the harness mmlu/default template', async () => {
    const files = ['mmlu/data/test/astronomy_test.csv', 'mmlu/data/test/college_physics_test.csv'];
    const m = await prepareDataset({ root, name: 'mmlu', config: fixtureConfig('mmlu', files, 4), mirror: FIXTURE_MIRROR });
    expect(m.records).toBe(4);
    const recs = readPrepared(root, 'mmlu').records;
    expect(recs.map((r) => r.id)).toEqual(['astronomy-0', 'astronomy-1', 'college_physics-0', 'college_physics-1']);
    expect(recs[0]).toEqual({
      id: 'astronomy-0',
      input: 'Which planet is known as the "Red Planet"?\nA. Venus\nB. Mars\nC. Jupiter\nD. Saturn\nAnswer:',
      choices: ['A', 'B', 'C', 'D'],
      gold: 1,
      metadata: {
        subject: 'astronomy',
        question: 'Which planet is known as the "Red Planet"?  ',
        options: ['Venus', 'Mars', 'Jupiter', 'Saturn'],
        answer: 'B',
        description: 'The following are multiple choice questions (with answers) about astronomy.\n\n',
      },
    });
    expect(recs[1].input).toContain('\nD. Alpha Centauri A, B\nAnswer:');
    expect(recs[2].input.startsWith('A ball is dropped from rest. Ignoring air resistance, its speed after 2 s is about\nA. 5 m/s')).toBe(true);
    expect(recs[3]).toMatchObject({ gold: 2, input: 'Which quantity is conserved in an elastic collision?\r\nChoose the best answer.\nA. Only momentum\nB. Only kinetic energy\nC. Momentum and kinetic energy\nD. Neither\nAnswer:' });
    expect(recs[3].metadata.description).toBe(mmluDescription('college_physics'));
    expect(mmluDescription('college_physics')).toBe('The following are multiple choice questions (with answers) about college physics.\n\n');
  });

  it('the real config lists the 57 harness subjects, each pinned', () => {
    const cfg = config(root, 'mmlu');
    expect(cfg.source.files).toHaveLength(57);
    expect(cfg.source.files.every((f) => /^data\/test\/[a-z_]+_test\.csv$/.test(f.path) && f.mirror_path === `mmlu/${f.path}`)).toBe(true);
    expect(cfg.source.files.map((f) => f.path)).toContain('data/test/high_school_government_and_politics_test.csv');
  });
});

describe('parsers', () => {
  it('parseCsv follows Python csv.reader (quotes, doubled quotes, newlines in quotes, CRLF, blank lines)', () => {
    expect(parseCsv('a,"b,c","d ""e"""\r\n\r\n"x\ny",,z\n')).toEqual([
      ['a', 'b,c', 'd "e"'],
      ['x\ny', '', 'z'],
    ]);
    expect(parseCsv('a,b,')).toEqual([['a', 'b', '']]);
    expect(parseCsv('"ab"c,d')).toEqual([['abc', 'd']]);
    expect(() => parseCsv('"open', 'f.csv')).toThrow(/f.csv: unexpected end of data/);
  });

  it('rawJsonMembers keeps the exact text of each value', () => {
    const m = rawJsonMembers('{"a": [1.0, 123456789012345678901, -Infinity], "b": "x\\"}", "c": {"d": [1, {"e": "]"}]}}');
    expect(m.get('a')).toBe('[1.0, 123456789012345678901, -Infinity]');
    expect(m.get('b')).toBe('"x\\"}"');
    expect(m.get('c')).toBe('{"d": [1, {"e": "]"}]}');
  });

  it('gsm8kTarget takes the text after the last #### and removes commas', () => {
    expect(gsm8kTarget('work\n#### 1,234')).toBe('1234');
    expect(gsm8kTarget('#### -5')).toBe('-5');
    expect(() => gsm8kTarget('no marker')).toThrow(/####/);
  });

  it('every format named in a dataset config has a normalizer', () => {
    for (const name of ['gsm8k', 'math500', 'humaneval', 'humanevalplus', 'mbpp', 'mbppplus', 'ifeval', 'mt-bench', 'arc-easy', 'arc-challenge', 'winogrande', 'boolq', 'piqa', 'commonsenseqa', 'openbookqa', 'truthfulqa-mc1', 'truthfulqa-mc2', 'hellaswag', 'mmlu']) {
      expect(NORMALIZERS[config(root, name).format]).toBeTypeOf('function');
    }
  });
});
