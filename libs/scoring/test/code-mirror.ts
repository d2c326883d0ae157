// Test helpers for the code scorers: read the raw dataset mirror directly (not through libs/datasets)
// and build scoring contexts. Not a test file itself.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { DatasetConfig, type DatasetRecord, type EvalResponse, type ScorerName } from '@evalgraph/core';
import type { ScoringContext } from '../src/types';
import type { Sandbox } from '@evalgraph/sandbox';

const REPO_ROOT = path.resolve(__dirname, '../../..');

/** The read-only dataset mirror (EVALGRAPH_DATA_MIRROR, else shared/datasets beside the repo). */
export function mirrorRoot(): string {
  return process.env.EVALGRAPH_DATA_MIRROR ?? path.resolve(REPO_ROOT, '../shared/datasets');
}

/** True when the mirror has the file (tests that need it are skipped otherwise). */
export function hasMirrorFile(rel: string): boolean {
  return existsSync(path.join(mirrorRoot(), rel));
}

function readText(rel: string): string {
  const buf = readFileSync(path.join(mirrorRoot(), rel));
  return (rel.endsWith('.gz') ? gunzipSync(buf) : buf).toString('utf8');
}

/**
 * The top-level members of one JSON object line as their exact source text (so EvalPlus inputs
 * keep big ints, 1.0 and Infinity for Python's json.loads).
 */
export function rawJsonMembers(line: string): Map<string, string> {
  const out = new Map<string, string>();
  let i = 0;
  const ws = () => {
    while (i < line.length && /\s/.test(line[i])) i++;
  };
  const stringEnd = (start: number) => {
    let j = start + 1;
    while (line[j] !== '"') j += line[j] === '\\' ? 2 : 1;
    return j + 1;
  };
  ws();
  if (line[i] !== '{') throw new Error('not a JSON object');
  i++;
  for (;;) {
    ws();
    if (line[i] === '}') return out;
    const keyEnd = stringEnd(i);
    const key = JSON.parse(line.slice(i, keyEnd)) as string;
    i = keyEnd;
    ws();
    i++; // ':'
    ws();
    const start = i;
    let depth = 0;
    while (i < line.length) {
      const ch = line[i];
      if (ch === '"') {
        i = stringEnd(i);
        continue;
      }
      if (ch === '[' || ch === '{') depth++;
      else if (ch === ']' || ch === '}') {
        if (depth === 0) break;
        depth--;
      } else if (ch === ',' && depth === 0) break;
      i++;
    }
    out.set(key, line.slice(start, i).trim());
    ws();
    if (line[i] === ',') i++;
  }
}

function lines(text: string): string[] {
  return text.split('\n').filter((l) => l.trim());
}

/** HumanEval records as libs/datasets writes them (id=task_id, input=prompt). */
export function humanevalRecords(): DatasetRecord[] {
  return lines(readText('humaneval/HumanEval.jsonl.gz')).map((l) => {
    const r = JSON.parse(l) as Record<string, string>;
    return { id: r.task_id, input: r.prompt, metadata: { entry_point: r.entry_point, test: r.test, canonical_solution: r.canonical_solution } };
  });
}

function evalplusRecords(rel: string, extra: string[]): DatasetRecord[] {
  return lines(readText(rel)).map((l) => {
    const m = rawJsonMembers(l);
    const get = (k: string) => JSON.parse(m.get(k) ?? 'null') as unknown;
    const metadata: Record<string, unknown> = {
      entry_point: get('entry_point'),
      canonical_solution: get('canonical_solution'),
      base_input_json: m.get('base_input'),
      plus_input_json: m.get('plus_input'),
      atol: get('atol'),
      contract: get('contract'),
    };
    for (const k of extra) metadata[k] = get(k);
    return { id: get('task_id') as string, input: get('prompt') as string, metadata };
  });
}

/** HumanEval+ records (inputs kept as exact JSON text in base_input_json / plus_input_json). */
export function humanevalPlusRecords(): DatasetRecord[] {
  return evalplusRecords('humanevalplus/HumanEvalPlus.jsonl.gz', ['test']);
}

/** MBPP+ records. */
export function mbppPlusRecords(): DatasetRecord[] {
  return evalplusRecords('mbppplus/MbppPlus.jsonl.gz', ['assertion']);
}

function mbppRecord(r: Record<string, unknown>): DatasetRecord {
  return {
    id: String(r.task_id),
    input: r.text as string,
    metadata: { task_id: r.task_id, test_list: r.test_list, test_setup_code: r.test_setup_code, challenge_test_list: r.challenge_test_list, code: r.code },
  };
}

/** MBPP: the 500 test tasks (task_id 11–510) and the few-shot pool (tasks 2, 3, 4). */
export function mbppRecords(): { test: DatasetRecord[]; fewshot: DatasetRecord[] } {
  const rows = lines(readText('mbpp/mbpp.jsonl')).map((l) => JSON.parse(l) as Record<string, unknown>);
  const id = (r: Record<string, unknown>) => r.task_id as number;
  return {
    test: rows.filter((r) => id(r) >= 11 && id(r) <= 510).map(mbppRecord),
    fewshot: [2, 3, 4].map((t) => mbppRecord(rows.find((r) => id(r) === t)!)),
  };
}

/** A scoring context for a code dataset. */
export function codeContext(dataset: string, scorer: ScorerName, opts: { style?: 'chat' | 'completion'; fewshot?: number; samples?: number; scorerOptions?: Record<string, unknown>; sandbox?: Sandbox; fewshotPool?: DatasetRecord[] } = {}): ScoringContext {
  const datasetConfig = DatasetConfig.parse({
    source: {
      kind: 'github',
      repo: 'example/example',
      revision: '0'.repeat(40),
      files: [{ path: 'data.jsonl', sha256: '0'.repeat(64), mirror_path: 'x/data.jsonl' }],
      license: 'MIT',
    },
    format: dataset,
    split: 'test',
    expected_records: 1,
    scorer,
    scorer_options: opts.scorerOptions ?? {},
    prompt: { style: opts.style ?? 'chat', fewshot: opts.fewshot ?? 0 },
    samples_per_task: opts.samples ?? 1,
  });
  return {
    dataset,
    datasetConfig,
    maxTokens: 1024,
    samplesPerTask: opts.samples ?? 1,
    workspaceRoot: REPO_ROOT,
    fewshotPool: opts.fewshotPool,
    services: opts.sandbox ? { sandbox: opts.sandbox } : {},
  };
}

/** A generation response carrying `text`. */
export function generated(text: string, finish = 'stop'): EvalResponse {
  return { kind: 'generate', text, finish_reason: finish, prompt_tokens: 1, completion_tokens: 1, latency_ms: 1, cached: false };
}
