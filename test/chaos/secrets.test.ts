import { createHash, randomBytes } from 'node:crypto';
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChaosWorkspace, readLog, type NxRun, type StandinRequest } from './helpers/chaos-workspace';
import { startEndpointStandin, type EndpointStandin } from './helpers/endpoint-standin';
import { expectSuccess } from './helpers/expect-run';
import { recordFigure } from './helpers/figures';

// Scenario 7: with HF_TOKEN and OPENAI_API_KEY set to unique random values, a pipeline with a vLLM model (the
// stand-in inherits the environment), an `endpoint:` model whose key is OPENAI_API_KEY, and an MT-Bench judge
// with the same key runs to its report; then every byte the run wrote is searched for the two values.
const HF_TOKEN = `hf_chaos${randomBytes(16).toString('hex')}`;
const OPENAI_API_KEY = `sk-chaos-${randomBytes(20).toString('hex')}`;

let cw: ChaosWorkspace;
let endpoint: EndpointStandin;
let run: NxRun;
const endpointLog = () => join(cw.logDir, 'endpoint-requests.jsonl');

/** Every regular file under `dir` (symlinks, e.g. node_modules entries, are not followed). */
function filesUnder(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d)) {
      const p = join(d, e);
      const st = lstatSync(p);
      if (st.isSymbolicLink()) continue;
      if (st.isDirectory()) walk(p);
      else if (st.isFile()) out.push(p);
    }
  };
  if (existsSync(dir)) walk(dir);
  return out;
}

beforeAll(async () => {
  cw = new ChaosWorkspace({ s: '' });
  endpoint = await startEndpointStandin('endpoint-model', { STANDIN_REQUEST_LOG: join(cw.logDir, 'endpoint-requests.jsonl') });
  cw.write('pipelines/s/pipeline.yaml', `backend: vllm
preset: chaos
settings: { sample_limit: 2 }
models:
  - model: qwen3-4b
  - model: endpoint-model
datasets: [gsm8k, mt-bench]
judge: { endpoint: "${endpoint.url}", model: endpoint-model, api_key_env: OPENAI_API_KEY, max_tokens: 64 }
gates: { min_throughput_tok_s: 0, max_gpu_memory_fraction: 1, require_all_models_covered: false }
`);
  const qwen = readFileSync(join(cw.root, 'configs/models/qwen3-4b/model.yaml'), 'utf8');
  mkdirSync(join(cw.root, 'configs/models/endpoint-model'), { recursive: true });
  cw.write('configs/models/endpoint-model/model.yaml', `${qwen}endpoint: "${endpoint.url}"\napi_key_env: OPENAI_API_KEY\n`);
  run = await cw.run(['run-many', '-t', 'evaluate,report', '-p', 'pipeline-s', '--outputStyle=static'], { HF_TOKEN, OPENAI_API_KEY });
});
afterAll(async () => {
  await endpoint?.stop();
  await cw?.dispose();
});

describe('scenario 7: secrets never reach a file, a log, a cache or an Nx hash input', () => {
  it('the run completes, and the key really was used (as the Authorization header of endpoint and judge requests)', () => {
    expectSuccess(run, 'secrets run');
    const auth = `sha256:${createHash('sha256').update(`Bearer ${OPENAI_API_KEY}`).digest('hex')}`;
    const sent = readLog<StandinRequest & { auth_sha256: string | null }>(endpointLog()).filter((r) => !r.probe);
    expect(sent.length).toBeGreaterThan(0);
    expect(sent.every((r) => `sha256:${r.auth_sha256}` === auth)).toBe(true);
    expect(existsSync(join(cw.root, 'results/s/candidate'))).toBe(true);
  });

  it('no file the run wrote (results, reports, server logs, request cache, Nx cache and workspace data) and no output holds either value', async () => {
    const files = [...filesUnder(cw.root), ...filesUnder(cw.logDir)];
    const show = await cw.run(['show', 'project', 'cell-s--endpoint-model--gsm8k', '--json']);
    expect(show.status, show.out).toBe(0);
    const leaks: string[] = [];
    for (const secret of [HF_TOKEN, OPENAI_API_KEY]) {
      const needle = Buffer.from(secret);
      for (const f of files) if (readFileSync(f).includes(needle)) leaks.push(`${secret.slice(0, 8)}… in ${relative(cw.root, f)}`);
      if (run.out.includes(secret)) leaks.push(`${secret.slice(0, 8)}… in the nx output`);
      if (show.out.includes(secret)) leaks.push(`${secret.slice(0, 8)}… in the project configuration (task options, hashed by Nx)`);
    }
    expect(files.length).toBeGreaterThan(20);
    expect(files.some((f) => f.includes('.nx/workspace-data'))).toBe(true);
    expect(files.some((f) => f.endsWith('request-cache.sqlite'))).toBe(true);
    expect(leaks).toEqual([]);
    expect(await cw.waitClean()).toEqual([]);
    recordFigure({ scenario: '7 secrets', faults: 2, runs: 2, completed: 2, resultsLost: 0, note: `${files.length} files written by the run searched for HF_TOKEN and OPENAI_API_KEY: 0 hits` });
  });
});
