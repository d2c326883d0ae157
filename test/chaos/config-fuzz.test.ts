import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as repoCore from '@evalgraph/core';
import { CONFIG_PATHS, type ConfigError } from '@evalgraph/core';
import { buildVllmServeArgs } from '@evalgraph/inference';
import { REPO_ROOT } from '../helpers/scratch-workspace';
import { ChaosWorkspace } from './helpers/chaos-workspace';
import { expectClearFailure } from './helpers/expect-run';
import { recordFigure } from './helpers/figures';
import { mutateConfig, type Mutation } from './helpers/mutate-config';
import { seeded } from './helpers/processes';

// Scenario 6: 200 seeded random mutations of valid configs. In process (resolvePipeline, as the Nx plugin calls
// it) each is either valid or a ConfigError whose every line names the file and the field; a handful of the
// rejected ones also go through a real `nx run-many -t evaluate`: no stack trace, no server started.
const SEED = Number(process.env.EVALGRAPH_CHAOS_SEED ?? 8_2024) + 6;
const MUTATIONS = 200;
const THROUGH_NX = 4;

const FUZZ_PIPELINE = `description: chaos fuzz base
gpu: h100-80gb
preset: balanced
backend: vllm
settings: { sample_limit: 5, max_tokens: 512, seed: 1 }
models:
  - model: qwen3-4b
    mode: thinking
  - model: qwen3-4b
    id: qwen3-4b-fast
    mode: non-thinking
    preset: memory-optimized
    english_only: true
    settings: { sample_limit: 3 }
  - model: qwen2.5-7b-instruct
datasets:
  - gsm8k
  - { dataset: arc-easy, settings: { sample_limit: 4 } }
  - mt-bench
cells:
  qwen2.5-7b-instruct/gsm8k: { sample_limit: 2 }
gates: { max_error_rate: 0.05 }
comparisons:
  - kind: matrix
  - { kind: modes, name: thinking vs not, a: qwen3-4b-thinking, b: qwen3-4b-fast }
judge: { endpoint: "http://127.0.0.1:9/v1", model: judge, api_key_env: OPENAI_API_KEY }
`;

/** Which file a mutation hits, with its weight. */
const TARGETS: [string, number][] = [
  [CONFIG_PATHS.pipeline('f'), 0.55],
  [CONFIG_PATHS.model('qwen3-4b'), 0.15],
  [CONFIG_PATHS.model('qwen2.5-7b-instruct'), 0.05],
  [CONFIG_PATHS.preset('balanced'), 0.1],
  [CONFIG_PATHS.gpu('h100-80gb'), 0.05],
  [CONFIG_PATHS.dataset('gsm8k'), 0.1],
];

// `file:line: field: expected …, found …`, with `:column` after the line for YAML syntax errors (formatProblem in libs/core/src/errors.ts).
const PROBLEM_LINE = /^(configs|pipelines)\/[^:\s]+\.yaml(:\d+(:\d+)?)?: (\S[^:]*): expected .+, found .+/;

let root: string;
let core: typeof repoCore = repoCore;
let overlayCore: string | null = null;

/**
 * The core library under test: the repository's, or with EVALGRAPH_CHAOS_OVERLAY holding libs/core files, a
 * temporary copy with them applied (to try a patch to libs/core in process, as the nx runs do in their workspace).
 */
async function coreUnderTest(): Promise<typeof repoCore> {
  const overlay = process.env.EVALGRAPH_CHAOS_OVERLAY;
  if (!overlay || !existsSync(join(overlay, 'libs/core'))) return repoCore;
  overlayCore = mkdtempSync(join(tmpdir(), 'evalgraph-core-'));
  cpSync(join(REPO_ROOT, 'libs/core'), overlayCore, { recursive: true, filter: (p) => !p.includes('node_modules') });
  cpSync(join(overlay, 'libs/core'), overlayCore, { recursive: true });
  symlinkSync(join(REPO_ROOT, 'node_modules'), join(overlayCore, 'node_modules'));
  return (await import(join(overlayCore, 'src/index.ts'))) as typeof repoCore;
}

const isConfigError = (e: unknown): e is ConfigError => e instanceof Error && e.name === 'ConfigError' && Array.isArray((e as ConfigError).problems);
const originals = new Map<string, string>();
const outcomes = { valid: 0, rejected: 0, other: 0 };
const rejected: { file: string; mutation: Mutation; message: string }[] = [];
/** Mutations that raised something other than a ConfigError (each also goes through nx, to show what a user sees). */
const crashed: { file: string; mutation: Mutation; message: string }[] = [];
let nxRuns = 0;

beforeAll(async () => {
  core = await coreUnderTest();
  root = mkdtempSync(join(tmpdir(), 'evalgraph-fuzz-'));
  cpSync(join(REPO_ROOT, 'configs'), join(root, 'configs'), { recursive: true });
  mkdirSync(join(root, 'pipelines/f'), { recursive: true });
  writeFileSync(join(root, CONFIG_PATHS.pipeline('f')), FUZZ_PIPELINE);
  for (const [file] of TARGETS) originals.set(file, readFileSync(join(root, file), 'utf8'));
});
afterAll(() => {
  recordFigure({
    scenario: '6 config fuzzing',
    faults: MUTATIONS,
    runs: nxRuns,
    completed: 0,
    resultsLost: 0,
    note: `seed ${SEED}: ${outcomes.valid} valid, ${outcomes.rejected} rejected with file + field on every line, ${outcomes.other} other exceptions; ${nxRuns} rejected ones through nx: no stack trace, no server`,
  });
  rmSync(root, { recursive: true, force: true });
  if (overlayCore) rmSync(overlayCore, { recursive: true, force: true });
});

/** What the plugin and the evaluate executor do with a config: resolve the pipeline, then build each vLLM command line. */
function resolveLikeThePlugin(): void {
  const resolved = core.resolvePipeline(root, 'f');
  for (const cell of resolved.cells) {
    if (cell.backend !== 'vllm') continue;
    const model = core.loadNamed(root, 'model', cell.model);
    buildVllmServeArgs({ modelName: cell.model, model, preset: core.loadNamed(root, 'preset', cell.preset), gpu: core.loadNamed(root, 'gpu', cell.gpu), workspaceRoot: root, port: 8000, logitsProcessors: [] });
  }
}

describe('scenario 6: config fuzzing', () => {
  it('the unmutated configs are valid', () => {
    expect(() => resolveLikeThePlugin()).not.toThrow();
  });

  it(`${MUTATIONS} seeded mutations: valid, or a ConfigError naming file and field on every line — never another exception`, () => {
    const rng = seeded(SEED);
    const refs = { model: core.listConfigs(root, 'model'), dataset: core.listConfigs(root, 'dataset'), preset: core.listConfigs(root, 'preset'), gpu: core.listConfigs(root, 'gpu') };
    const failures: string[] = [];
    for (let n = 0; n < MUTATIONS; n++) {
      let r = rng();
      const file = TARGETS.find(([, w]) => (r -= w) < 0)?.[0] ?? TARGETS[0][0];
      const mutation = mutateConfig(rng, originals.get(file)!, refs);
      writeFileSync(join(root, file), mutation.text);
      try {
        resolveLikeThePlugin();
        outcomes.valid++;
      } catch (e) {
        if (isConfigError(e)) {
          outcomes.rejected++;
          const bad = e.message.split('\n').filter((l) => !PROBLEM_LINE.test(l));
          if (bad.length || e.problems.length === 0) failures.push(`#${n} ${file}: ${mutation.what}: ConfigError lines without file and field:\n  ${bad.join('\n  ') || '(no problems)'}`);
          else rejected.push({ file, mutation, message: e.message });
        } else {
          outcomes.other++;
          if (!crashed.some((c) => c.mutation.what === mutation.what)) crashed.push({ file, mutation, message: `${file}: ${(e as Error).message}` });
          failures.push(`#${n} ${file}: ${mutation.what}: ${(e as Error).constructor?.name}: ${(e as Error).stack?.split('\n').slice(0, 4).join('\n  ')}`);
        }
      } finally {
        writeFileSync(join(root, file), originals.get(file)!);
      }
    }
    expect(failures, `seed ${SEED}`).toEqual([]);
    expect(outcomes.rejected).toBeGreaterThan(MUTATIONS / 2);
  });

  it(`${THROUGH_NX} rejected mutations through real nx: exit non-zero, the file and field, no stack trace, no server`, async () => {
    const cw = new ChaosWorkspace({ f: FUZZ_PIPELINE });
    try {
      // One per target file where possible, then the rest from the pipeline.
      const chosen: typeof rejected = [];
      for (const [file] of TARGETS) {
        const m = rejected.find((x) => x.file === file && !chosen.includes(x));
        if (m && chosen.length < THROUGH_NX) chosen.push(m);
      }
      for (const m of rejected) if (chosen.length < THROUGH_NX && !chosen.includes(m)) chosen.push(m);
      // A YAML alias bomb, if one was rejected: the whole project graph is built from these files.
      const bomb = rejected.find((x) => x.mutation.what.includes('alias bomb'));
      if (bomb && !chosen.includes(bomb)) chosen[chosen.length - 1] = bomb;
      // And one that raised another exception in process, if any: what does the user see?
      if (crashed.length) chosen.push(crashed[0]);
      for (const m of chosen) {
        const original = readFileSync(join(cw.root, m.file), 'utf8');
        writeFileSync(join(cw.root, m.file), m.mutation.text);
        const r = await cw.evaluate({}, [], 'f');
        nxRuns++;
        const firstLine = m.message.split('\n')[0];
        expectClearFailure(r, new RegExp(firstLine.split(':')[0].replace(/[.*+?^${}()|[\]\\]/g, '\\$&')), `${m.file}: ${m.mutation.what}`);
        expect(r.out, `${m.file}: ${m.mutation.what}`).toMatch(/: expected .*, found /);
        expect(cw.events(), `${m.file}: ${m.mutation.what}: a server was started`).toEqual([]);
        expect(cw.ws.executed()).toEqual([]);
        expect(await cw.waitClean()).toEqual([]);
        writeFileSync(join(cw.root, m.file), original);
      }
      expect(chosen.length).toBe(THROUGH_NX + (crashed.length ? 1 : 0));
    } finally {
      await cw.dispose();
    }
  });
});
