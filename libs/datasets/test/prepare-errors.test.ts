import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, IntegrityError, MissingDependencyError, isUserFacingError, sha256, type DatasetConfig } from '@evalgraph/core';
import { DownloadError, downloadsDir, prepareDataset, preparedDir, readPrepared, readPreparedAux, sourceUrl } from '../src';
import { MIRROR, config, scratchRoot, withMirrorEnv } from './helpers';

const scratch = scratchRoot('errors');
const root = scratch.root;
afterAll(() => scratch.cleanup());

const gsm8k = () => config(root, 'gsm8k');
/** The gsm8k config with no mirror, so prepare goes to the (stubbed) network. */
const networkConfig = (): DatasetConfig => ({ ...gsm8k(), mirror: undefined });
const gsmBytes = () => readFileSync(join(MIRROR, 'gsm8k/test.jsonl'));

function stubFetch(respond: (url: string) => Response | Promise<Response>): { fetchImpl: typeof fetch; urls: string[] } {
  const urls: string[] = [];
  const fetchImpl = (async (input: string | URL | Request) => {
    const url = String(input);
    urls.push(url);
    return respond(url);
  }) as typeof fetch;
  return { fetchImpl, urls };
}

async function caught(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected a rejection');
}

describe('integrity and missing files', () => {
  it('a tampered mirror file fails with IntegrityError naming the file', async () => {
    const bad = join(root, 'tampered');
    mkdirSync(join(bad, 'gsm8k'), { recursive: true });
    const bytes = Buffer.from(gsmBytes());
    bytes[100] = bytes[100] === 0x41 ? 0x42 : 0x41;
    writeFileSync(join(bad, 'gsm8k/test.jsonl'), bytes);
    const e = await caught(prepareDataset({ root, name: 'gsm8k', config: gsm8k(), mirror: bad }));
    expect(e).toBeInstanceOf(IntegrityError);
    expect(isUserFacingError(e)).toBe(true);
    expect(e.message).toContain('grade_school_math/data/test.jsonl');
    expect(e.message).toContain(join(bad, 'gsm8k/test.jsonl'));
    expect(e.message).toContain('configs/datasets/gsm8k/dataset.yaml');
    expect((e as IntegrityError).found).toBe(sha256(bytes));
    expect(existsSync(preparedDir(root, 'gsm8k'))).toBe(false);
  });

  it('a file missing from EVALGRAPH_DATA_MIRROR says which file and how to fix it', async () => {
    const empty = join(root, 'empty-mirror');
    mkdirSync(empty, { recursive: true });
    const e = await withMirrorEnv(empty, () => caught(prepareDataset({ root, name: 'piqa', config: config(root, 'piqa') })));
    expect(e).toBeInstanceOf(MissingDependencyError);
    expect(e.message).toContain('piqa/valid.jsonl is not in the mirror');
    expect(e.message).toContain('EVALGRAPH_DATA_MIRROR');
    expect(e.message).toContain('fix:');
  });

  it('a mirror directory that does not exist is an error, not a silent download', async () => {
    const e = await withMirrorEnv(join(root, 'nope'), () => caught(prepareDataset({ root, name: 'gsm8k', config: gsm8k(), fetchImpl: () => Promise.reject(new Error('no network in tests')) })));
    expect(e).toBeInstanceOf(MissingDependencyError);
    expect(e.message).toContain('is not a directory');
  });

  it('a wrong expected_records fails naming the config file and field', async () => {
    const cfg = { ...gsm8k(), expected_records: 1320 };
    const e = await caught(prepareDataset({ root, name: 'gsm8k', config: cfg, mirror: MIRROR }));
    expect(e).toBeInstanceOf(ConfigError);
    expect(e.message).toContain('configs/datasets/gsm8k/dataset.yaml: expected_records: expected 1320 records, found 1319 records');
  });

  it('an unknown format is a config error with a suggestion', async () => {
    const e = await caught(prepareDataset({ root, name: 'gsm8k', config: { ...gsm8k(), format: 'gsm8kk' }, mirror: MIRROR }));
    expect(e).toBeInstanceOf(ConfigError);
    expect(e.message).toContain('format');
    expect(e.message).toContain('did you mean "gsm8k"?');
  });

  it('the config mirror is used when its directory exists', async () => {
    const cfg = { ...gsm8k(), mirror: MIRROR };
    const m = await withMirrorEnv(undefined, () => prepareDataset({ root, name: 'gsm8k', config: cfg, fetchImpl: () => Promise.reject(new Error('must not download')) }));
    expect(m.fetched_from).toBe('mirror');
  });
});

describe('download', () => {
  it('builds pinned URLs for github and huggingface sources', () => {
    const src = gsm8k().source;
    expect(sourceUrl(src, src.files[0].path)).toBe(`https://raw.githubusercontent.com/openai/grade-school-math/${src.revision}/grade_school_math/data/test.jsonl`);
    expect(sourceUrl({ ...src, kind: 'huggingface', repo: 'org/ds' }, 'data/x.jsonl')).toBe(`https://huggingface.co/datasets/org/ds/resolve/${src.revision}/data/x.jsonl`);
    expect(sourceUrl({ ...src, kind: 'url', repo: 'https://example.org/d/{revision}/' }, 'a b.csv')).toBe(`https://example.org/d/${src.revision}/a%20b.csv`);
  });

  it('downloads the pinned file, verifies it, caches it by sha256 and reuses the cache', async () => {
    const net = stubFetch(() => new Response(gsmBytes()));
    const m = await withMirrorEnv(undefined, () => prepareDataset({ root, name: 'gsm8k', config: networkConfig(), fetchImpl: net.fetchImpl }));
    expect(m.fetched_from).toBe('network');
    expect(net.urls).toEqual([sourceUrl(gsm8k().source, 'grade_school_math/data/test.jsonl')]);
    const cached = join(downloadsDir(root), gsm8k().source.files[0].sha256);
    expect(readFileSync(cached).equals(gsmBytes())).toBe(true);

    const again = stubFetch(() => new Response('unused'));
    const m2 = await withMirrorEnv(undefined, () => prepareDataset({ root, name: 'gsm8k', config: networkConfig(), fetchImpl: again.fetchImpl }));
    expect(again.urls).toEqual([]);
    expect(m2.fetched_from).toBe('cache');
    expect(m2.sha256).toBe(m.sha256);
    expect(readPrepared(root, 'gsm8k').records).toHaveLength(1319);
  });

  it('a network failure is one line naming the URL and suggesting the mirror', async () => {
    const cfg = { ...config(root, 'ifeval'), mirror: undefined };
    const down = stubFetch(() => Promise.reject(Object.assign(new TypeError('fetch failed'), { cause: { code: 'ENOTFOUND' } })));
    const e = await withMirrorEnv(undefined, () => caught(prepareDataset({ root, name: 'ifeval', config: cfg, fetchImpl: down.fetchImpl })));
    expect(e).toBeInstanceOf(DownloadError);
    expect(isUserFacingError(e)).toBe(true);
    expect(e.message.split('\n')).toHaveLength(1);
    expect(e.message).toContain(sourceUrl(cfg.source, 'data/input_data.jsonl'));
    expect(e.message).toContain('ENOTFOUND');
    expect(e.message).toContain('EVALGRAPH_DATA_MIRROR');

    const notFound = stubFetch(() => new Response('nope', { status: 404, statusText: 'Not Found' }));
    const e404 = await withMirrorEnv(undefined, () => caught(prepareDataset({ root, name: 'ifeval', config: cfg, fetchImpl: notFound.fetchImpl })));
    expect(e404.message).toContain('HTTP 404 Not Found');
  });

  it('downloaded bytes that do not match the pin fail and are not cached', async () => {
    const cfg = { ...config(root, 'boolq'), mirror: undefined };
    const wrong = stubFetch(() => new Response('{"question": "q", "title": "t", "answer": true, "passage": "p"}\n'));
    const e = await withMirrorEnv(undefined, () => caught(prepareDataset({ root, name: 'boolq', config: cfg, fetchImpl: wrong.fetchImpl })));
    expect(e).toBeInstanceOf(IntegrityError);
    expect(e.message).toContain(sourceUrl(cfg.source, 'data/dev.jsonl'));
    expect(existsSync(join(downloadsDir(root), cfg.source.files[0].sha256))).toBe(false);
  });
});

describe('reading prepared data', () => {
  it('an unprepared dataset is a MissingDependencyError; an absent aux role is undefined', async () => {
    expect(() => readPrepared(root, 'openbookqa')).toThrow(MissingDependencyError);
    expect(() => readPrepared(root, 'openbookqa')).toThrow(/openbookqa is not prepared/);
    await prepareDataset({ root, name: 'openbookqa', config: config(root, 'openbookqa'), mirror: MIRROR });
    expect(readPreparedAux(root, 'openbookqa', 'fewshot')).toBeUndefined();
    expect(readPreparedAux(root, 'openbookqa', 'judge_prompts')).toBeUndefined();
  });

  it('an edited data.jsonl no longer matches its manifest', async () => {
    await prepareDataset({ root, name: 'arc-easy', config: config(root, 'arc-easy'), mirror: MIRROR });
    const file = join(preparedDir(root, 'arc-easy'), 'data.jsonl');
    writeFileSync(file, readFileSync(file, 'utf8').replace('Question: ', 'Question:  '));
    expect(() => readPrepared(root, 'arc-easy')).toThrow(IntegrityError);
  });
});
