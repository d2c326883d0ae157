import { readFileSync } from 'node:fs';
import { zipSync } from 'fflate';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { IntegrityError, sha256, type DatasetConfig } from '@evalgraph/core';
import { NORMALIZERS, parseCsv, prepareDataset, rawJsonMembers, readPrepared, readPreparedAux, gsm8kTarget, hellaswagPreprocess, mmluDescription } from '../src';
import { FIXTURE_MIRROR, MIRROR, config, scratchRoot, withMirrorEnv } from './helpers';

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

describe('mmlu fixture (hendrycks CSV format, 2 subjects x 2 test rows + 2 dev rows)', () => {
  const files = ['mmlu/data/test/astronomy_test.csv', 'mmlu/data/test/college_physics_test.csv', 'mmlu/data/dev/astronomy_dev.csv', 'mmlu/data/dev/college_physics_dev.csv'];

  it('normalizes as the harness mmlu/default template; the dev rows are the few-shot pool, in file order', async () => {
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
        fewshot_group: 'astronomy',
      },
    });
    expect(recs[1].input).toContain('\nD. Alpha Centauri A, B\nAnswer:');
    expect(recs[2].input.startsWith('A ball is dropped from rest. Ignoring air resistance, its speed after 2 s is about\nA. 5 m/s')).toBe(true);
    expect(recs[3]).toMatchObject({ gold: 2, input: 'Which quantity is conserved in an elastic collision?\r\nChoose the best answer.\nA. Only momentum\nB. Only kinetic energy\nC. Momentum and kinetic energy\nD. Neither\nAnswer:' });
    expect(recs[3].metadata.description).toBe(mmluDescription('college_physics'));
    expect(mmluDescription('college_physics')).toBe('The following are multiple choice questions (with answers) about college physics.\n\n');
    const pool = readPreparedAux(root, 'mmlu', 'fewshot') ?? [];
    expect(pool.map((r) => r.id)).toEqual(['astronomy-dev-0', 'astronomy-dev-1', 'college_physics-dev-0', 'college_physics-dev-1']);
    expect(pool[1]).toMatchObject({ gold: 1, input: 'How many planets orbit the Sun, as counted by the IAU?\nA. 7\nB. 8\nC. 9\nD. 10\nAnswer:', metadata: { fewshot_group: 'astronomy' } });
  });

  it('a subject without its dev file is an error naming it', () => {
    const text = (p: string) => readFileSync(join(FIXTURE_MIRROR, p), 'utf8');
    const input = (paths: string[]) => ({ dataset: 'mmlu', split: 'test', files: paths.map((p) => ({ path: p.slice('mmlu/'.length), mirror_path: p, role: p.includes('/dev/') ? 'fewshot' : 'data', text: text(p) })) });
    expect(() => NORMALIZERS.mmlu(input(files.slice(0, 3)))).toThrow(/no few-shot \(dev\) file for college_physics/);
  });

  it('downloads the source zip once, checks its sha256 and each member\'s, and gives the same records as the mirror', async () => {
    const fixture = fixtureConfig('mmlu', files, 4);
    const zip = zipSync(Object.fromEntries(fixture.source.files.map((f) => [f.path, readFileSync(join(FIXTURE_MIRROR, f.mirror_path))])));
    const cfg: DatasetConfig = { ...fixture, source: { ...fixture.source, archive: { path: 'evaluation/mmlu/mmlu.zip', sha256: sha256(zip) } } };
    const urls: string[] = [];
    const fetchImpl = (async (url: string | URL | Request) => {
      urls.push(String(url));
      return new Response(zip);
    }) as typeof fetch;
    const dl = scratchRoot('mmlu-zip');
    try {
      const m = await withMirrorEnv(undefined, () => prepareDataset({ root: dl.root, name: 'mmlu', config: cfg, fetchImpl }));
      expect(urls).toEqual(['https://raw.githubusercontent.com/hiyouga/LLaMA-Factory/65ea7a0d7c37e82f0b46f3808ec336604f18a5e9/evaluation/mmlu/mmlu.zip']);
      expect(m.fetched_from).toBe('network');
      const fromMirror = await prepareDataset({ root, name: 'mmlu', config: fixture, mirror: FIXTURE_MIRROR });
      expect(m.sha256).toBe(fromMirror.sha256);
      // A member whose bytes differ from its pin fails with the member named, even though the zip's own sha256 matched.
      const bad: DatasetConfig = { ...cfg, source: { ...cfg.source, files: cfg.source.files.map((f, i) => (i === 1 ? { ...f, sha256: '0'.repeat(64) } : f)) } };
      const fresh = scratchRoot('mmlu-zip-bad');
      try {
        const e = await withMirrorEnv(undefined, () => prepareDataset({ root: fresh.root, name: 'mmlu', config: bad, fetchImpl }).then(() => null, (err: unknown) => err));
        expect(e).toBeInstanceOf(IntegrityError);
        expect(String(e)).toContain('data/test/college_physics_test.csv');
        expect(String(e)).toContain('zip member');
      } finally {
        fresh.cleanup();
      }
    } finally {
      dl.cleanup();
    }
  });

  it('the real config pins the released test set (57 subjects, 14,042 rows) and its dev split, with the mirror\'s SHA256SUMS', () => {
    const cfg = config(root, 'mmlu');
    expect(cfg.expected_records).toBe(14042);
    expect(cfg.prompt.fewshot).toBe(5);
    const data = cfg.source.files.filter((f) => f.role === 'data');
    const dev = cfg.source.files.filter((f) => f.role === 'fewshot');
    expect(data).toHaveLength(57);
    expect(dev).toHaveLength(57);
    expect(data.every((f) => /^data\/test\/[a-z_]+_test\.csv$/.test(f.path) && f.mirror_path === `mmlu/${f.path}`)).toBe(true);
    expect(dev.map((f) => f.path.replace('/dev/', '/test/').replace('_dev.csv', '_test.csv'))).toEqual(data.map((f) => f.path));
    expect(data.map((f) => f.path)).toContain('data/test/high_school_government_and_politics_test.csv');
    // The download is the release's zip in LLaMA-Factory (shared/datasets/MANIFEST.md), pinned by revision and sha256.
    expect(cfg.source).toMatchObject({ kind: 'github', repo: 'hiyouga/LLaMA-Factory', revision: '65ea7a0d7c37e82f0b46f3808ec336604f18a5e9', archive: { path: 'evaluation/mmlu/mmlu.zip', sha256: '9e2b2d78bf59d80baf271a13005568ef0aca17bd663f2e5ebfecdc07a68f0edc' } });
    const sums = new Map(readFileSync(join(MIRROR, 'mmlu/SHA256SUMS'), 'utf8').trim().split('\n').map((l) => l.split(/\s+/).reverse() as [string, string]));
    expect(sums.size).toBe(114);
    for (const f of cfg.source.files) expect(f.sha256, f.path).toBe(sums.get(f.path));
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

describe('a format plugin', () => {
  it("normalizes with the plugin's normalizer, passed by the caller that loaded it", async () => {
    const cfg = { ...fixtureConfig('hellaswag', ['hellaswag/hellaswag_val.jsonl'], 3), format: './tools/plugins/line-format' };
    const lines = (text: string) => text.trim().split('\n');
    const m = await prepareDataset({
      root,
      name: 'hellaswag',
      config: cfg,
      mirror: FIXTURE_MIRROR,
      normalizer: ({ files }) => ({ records: lines(files[0].text).map((l, i) => ({ id: `line-${i}`, input: String(JSON.parse(l).ctx), target: 'x', metadata: {} })) }),
    });
    expect(m.records).toBe(3);
    expect(readPrepared(root, 'hellaswag').records.map((r) => r.id)).toEqual(['line-0', 'line-1', 'line-2']);
  });
});
