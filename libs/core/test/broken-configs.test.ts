import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError, resolvePipeline } from '../src';

const REPO = resolve(__dirname, '../../..');

const PIPELINE = `gpu: h100-80gb
preset: balanced
backend: vllm
settings:
  sample_limit: 20
models:
  - model: qwen3-8b
  - model: qwen2.5-7b-instruct
datasets:
  - gsm8k
  - arc-easy
`;

const DATASET = `source:
  kind: github
  repo: openai/grade-school-math
  revision: 3101c7d5072418e28b9008a6636bde82a006892c
  license: MIT
  files:
    - path: grade_school_math/data/test.jsonl
      sha256: 3730d312f6e3440559ace48831e51066acaca737f6eabec99bccb9e4b3c39d14
      mirror_path: gsm8k/test.jsonl
format: gsm8k
split: test
expected_records: 1319
scorer: gsm8k
`;

let root: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'evalgraph-cfg-'));
  cpSync(join(REPO, 'configs/models'), join(root, 'configs/models'), { recursive: true });
  cpSync(join(REPO, 'configs/presets'), join(root, 'configs/presets'), { recursive: true });
  cpSync(join(REPO, 'configs/gpus'), join(root, 'configs/gpus'), { recursive: true });
  for (const d of ['gsm8k', 'arc-easy']) {
    mkdirSync(join(root, `configs/datasets/${d}`), { recursive: true });
    writeFileSync(join(root, `configs/datasets/${d}/dataset.yaml`), DATASET);
  }
  mkdirSync(join(root, 'pipelines/p'), { recursive: true });
  writeFileSync(join(root, 'pipelines/p/pipeline.yaml'), PIPELINE);
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

const edit = (rel: string, fn: (s: string) => string) => writeFileSync(join(root, rel), fn(readFileSync(join(root, rel), 'utf8')));

function problemsOf(): string[] {
  try {
    resolvePipeline(root, 'p');
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    const msg = (e as Error).message;
    expect(msg).not.toMatch(/\n\s+at /); // no stack frames in what the user sees
    return msg.split('\n');
  }
  throw new Error('expected a ConfigError');
}

// Each case: a mutation, the file the message must name, the field, and a phrase it must contain.
const CASES: { name: string; mutate: () => void; file: string; field: string; phrase?: RegExp }[] = [
  { name: 'bad YAML syntax', mutate: () => edit('pipelines/p/pipeline.yaml', (s) => s.replace('models:', 'models: [')), file: 'pipelines/p/pipeline.yaml', field: '(document)', phrase: /valid YAML/ },
  { name: 'duplicate YAML key', mutate: () => edit('pipelines/p/pipeline.yaml', (s) => s + 'gpu: h200-141gb\n'), file: 'pipelines/p/pipeline.yaml', field: '(document)', phrase: /DUPLICATE_KEY|unique/i },
  { name: 'wrong type', mutate: () => edit('configs/presets/balanced.yaml', (s) => s.replace('gpu_memory_utilization: 0.85', 'gpu_memory_utilization: high')), file: 'configs/presets/balanced.yaml', field: 'gpu_memory_utilization', phrase: /expected number, found string "high"/ },
  { name: 'unknown key with near miss', mutate: () => edit('configs/models/qwen3-8b/model.yaml', (s) => s.replace('hf_id:', 'hf_idd:')), file: 'configs/models/qwen3-8b/model.yaml', field: 'hf_idd', phrase: /did you mean "hf_id"/ },
  { name: 'missing required field', mutate: () => edit('configs/datasets/gsm8k/dataset.yaml', (s) => s.replace('scorer: gsm8k\n', '')), file: 'configs/datasets/gsm8k/dataset.yaml', field: 'scorer', phrase: /missing/ },
  { name: 'unknown model reference', mutate: () => edit('pipelines/p/pipeline.yaml', (s) => s.replace('model: qwen3-8b', 'model: qwen3-8')), file: 'pipelines/p/pipeline.yaml', field: 'models.0.model', phrase: /did you mean "qwen3-8b"/ },
  { name: 'unknown dataset reference', mutate: () => edit('pipelines/p/pipeline.yaml', (s) => s.replace('  - gsm8k', '  - gsm8')), file: 'pipelines/p/pipeline.yaml', field: 'datasets.0', phrase: /did you mean "gsm8k"/ },
  { name: 'unknown preset', mutate: () => edit('pipelines/p/pipeline.yaml', (s) => s.replace('preset: balanced', 'preset: balance')), file: 'pipelines/p/pipeline.yaml', field: 'preset', phrase: /did you mean "balanced"/ },
  { name: 'unknown GPU profile', mutate: () => edit('pipelines/p/pipeline.yaml', (s) => s.replace('gpu: h100-80gb', 'gpu: a100-40gb')), file: 'pipelines/p/pipeline.yaml', field: 'gpu', phrase: /h100-80gb/ },
  { name: 'sample limit zero', mutate: () => edit('pipelines/p/pipeline.yaml', (s) => s.replace('sample_limit: 20', 'sample_limit: 0')), file: 'pipelines/p/pipeline.yaml', field: 'settings.sample_limit', phrase: />= 1/ },
  { name: 'sample limit not a number', mutate: () => edit('pipelines/p/pipeline.yaml', (s) => s.replace('sample_limit: 20', 'sample_limit: ten')), file: 'pipelines/p/pipeline.yaml', field: 'settings.sample_limit', phrase: /expected number/ },
  { name: 'sample limit fractional', mutate: () => edit('pipelines/p/pipeline.yaml', (s) => s.replace('sample_limit: 20', 'sample_limit: 2.5')), file: 'pipelines/p/pipeline.yaml', field: 'settings.sample_limit', phrase: /int/ },
  {
    name: 'preset that does not fit the GPU',
    mutate: () => {
      writeFileSync(join(root, 'configs/gpus/l4-24gb.yaml'), 'name: NVIDIA L4\nmemory_gib: 22\ncompute_capability: "8.9"\n');
      edit('pipelines/p/pipeline.yaml', (s) => s.replace('gpu: h100-80gb', 'gpu: l4-24gb').replace('model: qwen2.5-7b-instruct', 'model: qwen3-14b'));
    },
    file: 'pipelines/p/pipeline.yaml',
    field: 'models.1',
    phrase: /does not: weights 27\.\d GiB/,
  },
  { name: 'unknown mode', mutate: () => edit('pipelines/p/pipeline.yaml', (s) => s.replace('  - model: qwen3-8b\n', '  - model: qwen3-8b\n    mode: thinkin\n')), file: 'pipelines/p/pipeline.yaml', field: 'models.0.mode', phrase: /did you mean "thinking"/ },
  { name: 'unpinned model revision', mutate: () => edit('configs/models/qwen3-8b/model.yaml', (s) => s.replace(/revision: \w+/, 'revision: main')), file: 'configs/models/qwen3-8b/model.yaml', field: 'revision', phrase: /pinned revision/ },
  { name: 'malformed dataset sha256', mutate: () => edit('configs/datasets/gsm8k/dataset.yaml', (s) => s.replace(/sha256: \w+/, 'sha256: abc')), file: 'configs/datasets/gsm8k/dataset.yaml', field: 'source.files.0.sha256', phrase: /64-hex/ },
  { name: 'unknown scorer', mutate: () => edit('configs/datasets/gsm8k/dataset.yaml', (s) => s.replace('scorer: gsm8k', 'scorer: gsm8kk')), file: 'configs/datasets/gsm8k/dataset.yaml', field: 'scorer', phrase: /did you mean "gsm8k"/ },
  { name: 'cell override for a cell that does not exist', mutate: () => edit('pipelines/p/pipeline.yaml', (s) => s + 'cells:\n  qwen3-8b/gsm8:\n    sample_limit: 5\n'), file: 'pipelines/p/pipeline.yaml', field: 'cells.qwen3-8b/gsm8', phrase: /did you mean "qwen3-8b\/gsm8k"/ },
  { name: 'English-only filter on a model without it', mutate: () => edit('pipelines/p/pipeline.yaml', (s) => s.replace('  - model: qwen2.5-7b-instruct\n', '  - model: qwen2.5-7b-instruct\n    english_only: true\n')), file: 'pipelines/p/pipeline.yaml', field: 'models.1.english_only', phrase: /only Qwen3/ },
  { name: 'dummy backend in a production pipeline', mutate: () => edit('pipelines/p/pipeline.yaml', (s) => s.replace('backend: vllm', 'backend: dummy\nproduction: true')), file: 'pipelines/p/pipeline.yaml', field: 'models.0.backend', phrase: /production/ },
  { name: 'temperature out of range', mutate: () => edit('configs/models/qwen3-8b/model.yaml', (s) => s.replace('temperature: 0.7', 'temperature: -1')), file: 'configs/models/qwen3-8b/model.yaml', field: 'modes.non-thinking.sampling.temperature', phrase: />= 0/ },
  { name: 'default mode not among modes', mutate: () => edit('configs/models/qwen3-8b/model.yaml', (s) => s.replace('default_mode: non-thinking', 'default_mode: fast')), file: 'configs/models/qwen3-8b/model.yaml', field: 'default_mode', phrase: /thinking, non-thinking/ },
  { name: 'empty model list', mutate: () => edit('pipelines/p/pipeline.yaml', (s) => s.replace(/models:\n(  - .*\n)+/, 'models: []\n')), file: 'pipelines/p/pipeline.yaml', field: 'models', phrase: /at least 1/ },
  { name: 'duplicate dataset', mutate: () => edit('pipelines/p/pipeline.yaml', (s) => s + '  - gsm8k\n'), file: 'pipelines/p/pipeline.yaml', field: 'datasets.2', phrase: /each dataset once/ },
  { name: 'endpoint is not a URL', mutate: () => edit('configs/models/qwen3-8b/model.yaml', (s) => s + 'endpoint: localhost-8000\n'), file: 'configs/models/qwen3-8b/model.yaml', field: 'endpoint', phrase: /url/i },
  { name: 'huge number', mutate: () => edit('configs/presets/balanced.yaml', (s) => s.replace('max_num_seqs: 128', 'max_num_seqs: 1e308')), file: 'configs/presets/balanced.yaml', field: 'max_num_seqs', phrase: /expected <= \d+, found number 1e\+308/ },
  { name: 'wrong shape: list where a mapping is expected', mutate: () => edit('configs/gpus/h100-80gb.yaml', () => '- 80\n- 1\n'), file: 'configs/gpus/h100-80gb.yaml', field: '(document)', phrase: /expected a mapping, found a list/ },
];

describe('broken configs give one clear line per problem, naming file and field', () => {
  it('the untouched fixture is valid', () => {
    expect(resolvePipeline(root, 'p').cells).toHaveLength(4);
  });
  it(`covers at least 20 kinds of breakage (${CASES.length})`, () => expect(CASES.length).toBeGreaterThanOrEqual(20));
  for (const c of CASES) {
    it(c.name, () => {
      c.mutate();
      const lines = problemsOf();
      const line = lines.find((l) => l.startsWith(c.file) && l.includes(`: ${c.field}: `));
      expect(line, `no line names ${c.file} / ${c.field}:\n${lines.join('\n')}`).toBeDefined();
      if (c.phrase) expect(line).toMatch(c.phrase);
    });
  }
});

// A YAML syntax error is one line with the position where the parser stopped: `file:line:column: ...`.
const SYNTAX: { name: string; mutate: (s: string) => string; at: string; phrase: RegExp }[] = [
  { name: 'an unclosed quote', mutate: (s) => s.replace('family: qwen3', 'family: "qwen3'), at: 'configs/models/qwen3-8b/model.yaml:5:15', phrase: /Missing closing "quote/ },
  // One tab made the parser emit 15 errors, one pair per following line of the block.
  { name: 'a tab as indentation', mutate: (s) => s.replace('  layers: 36', '\tlayers: 36'), at: 'configs/models/qwen3-8b/model.yaml:9:1', phrase: /Tabs are not allowed as indentation .* later syntax errors may follow from this one/ },
  { name: 'an unclosed flow sequence', mutate: (s) => s.replace('family: qwen3', 'family: [qwen3'), at: 'configs/models/qwen3-8b/model.yaml:6:1', phrase: /Flow sequence/ },
];

describe('YAML syntax errors name file, line and column once', () => {
  for (const c of SYNTAX) {
    it(c.name, () => {
      edit('configs/models/qwen3-8b/model.yaml', c.mutate);
      const lines = problemsOf();
      expect(lines, lines.join('\n')).toHaveLength(1);
      expect(lines[0].startsWith(`${c.at}: (document): expected valid YAML, found a syntax error: `), lines[0]).toBe(true);
      expect(lines[0]).toMatch(c.phrase);
    });
  }
});
