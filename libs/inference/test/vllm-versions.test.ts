import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '@evalgraph/core';
import { ENGLISH_XARG, loadEnglishFilter, logitsProcessorSource, writeLogitsProcessorModule } from '../src/english-filter';
import { EnglishDeliveryError, englishDeliveryPlan } from '../src/english-interface';
import { findExecutable } from '../src/proc';
import { buildVllmServeArgs, checkVllmArgs, VllmFlagsUnsupportedError } from '../src/vllm-args';
import { FROZEN_VLLM_FLAG_SET, VLLM_SERVE_FLAGS } from '../src/vllm-flags';
import { installedVllmFlags, parseServeHelp, vllmFlagsCacheFile } from '../src/vllm-help-flags';
import { vllmSetup } from '../src/vllm-setup';
import { checkVllmVersionRange } from '../src/vllm-version-check';
import { vllmRangeStatus, vllmVersionCheck, VLLM_SUPPORTED_RANGE_TEXT } from '../src/vllm-versions';
import { vllmVersion } from '../src/doctor';
import { gpu, preset, qwen3Model, STANDIN, tempRoot } from './helpers';

/**
 * A fake vLLM 0.32.0: `--version` and `serve --help=all` only, its help in Python 3.13's argparse layout
 * (`-tp, --tensor-parallel-size N`), with flags that 0.11 lacks (--new-sampler-flag) and without ones it had
 * (--swap-space, --disable-log-requests). Each help call appends a line to calls.log.
 */
function fakeVllm(dir: string, version: string, extraHelp = ''): string {
  mkdirSync(dir, { recursive: true });
  const keep = Object.keys(VLLM_SERVE_FLAGS).filter((f) => !['swap-space', 'disable-log-requests', 'tensor-parallel-size'].includes(f));
  const lines = keep.map((f) => {
    const k = VLLM_SERVE_FLAGS[f];
    return k === 'bool' ? `  --${f}, --no-${f}\n                        help (default: None)` : k === 'value' ? `  --${f} {a,b}\n                        help` : `  --${f}              help`;
  });
  const help = [
    'usage: vllm serve [model_tag] [options]',
    '',
    'ModelConfig:',
    '  Configuration for the model.',
    '',
    ...lines,
    '  -tp, --tensor-parallel-size TENSOR_PARALLEL_SIZE',
    '                        Number of tensor parallel groups.',
    '  --new-sampler-flag NEW_SAMPLER_FLAG',
    '                        - a bullet in help text:',
    '                        --not-a-flag here',
    extraHelp,
    '',
    'When passing JSON CLI arguments, the following sets of arguments are equivalent:',
    '   --json-arg \'{"key1": "value1"}\'',
    '',
  ].join('\n');
  writeFileSync(join(dir, 'help.txt'), help);
  const script = join(dir, 'vllm');
  writeFileSync(
    script,
    `#!/usr/bin/env node
const fs = require('fs'), path = require('path');
const a = process.argv.slice(2);
if (a[0] === '--version') { process.stderr.write('INFO a log line, as vLLM prints on import\\n'); process.stdout.write('${version}\\n'); process.exit(0); }
if (a[0] === 'serve' && a[1] === '--help=all') {
  fs.appendFileSync(path.join(__dirname, 'calls.log'), 'help\\n');
  process.stdout.write(fs.readFileSync(path.join(__dirname, 'help.txt'), 'utf8'));
  process.exit(0);
}
process.stderr.write('fake vllm: only --version and serve --help=all\\n'); process.exit(2);
`,
  );
  chmodSync(script, 0o755);
  return script;
}

const helpCalls = (dir: string) => (existsSync(join(dir, 'calls.log')) ? readFileSync(join(dir, 'calls.log'), 'utf8').trim().split('\n').length : 0);

let root: string;
let cleanup: () => void;
beforeAll(() => ({ root, cleanup } = tempRoot('evalgraph-vv-')));
afterAll(() => cleanup());

describe('supported vLLM range', () => {
  it('is 0.10.2 to 0.32.x, and says where a version sits', () => {
    expect(VLLM_SUPPORTED_RANGE_TEXT).toBe('0.10.2 to 0.32.x');
    const cases: [string | null, string][] = [
      ['0.10.2', 'in-range'],
      ['0.11.0', 'in-range'],
      ['0.11.1.dev12+g3a5b6c', 'in-range'],
      ['0.32.4', 'in-range'],
      ['0.33.0', 'newer'],
      ['1.0.0rc1', 'newer'],
      ['0.10.1.1', 'older'],
      ['0.9.2', 'older'],
      ['standin-vllm 1.0.0', 'standin'],
      ['not a version', 'unknown'],
      [null, 'unknown'],
    ];
    for (const [v, status] of cases) expect([v, vllmRangeStatus(v)]).toEqual([v, status]);
  });

  it('outside the range: a warning naming the range and what evalgraph does then', () => {
    const newer = vllmVersionCheck('0.40.1');
    expect(newer.detail).toBe('vLLM 0.40.1 is newer than the supported range 0.10.2 to 0.32.x');
    expect(newer.fix).toContain('vllm serve --help=all');
    expect(newer.fix).toContain('Model Runner V2');
    const older = vllmVersionCheck('0.9.2');
    expect(older.detail).toContain('older than the supported range 0.10.2 to 0.32.x');
    expect(older.fix).toContain('allowed_token_ids');
    expect(vllmVersionCheck('0.11.0')).toMatchObject({ status: 'in-range', fix: '' });
    expect(vllmVersionCheck(null).fix).toContain('frozen vLLM 0.11 list');
  });

  it('doctor prints the range line from the installed vLLM', async () => {
    const dir = join(root, 'doctor-032');
    fakeVllm(dir, '0.32.0');
    const ok = await checkVllmVersionRange({ PATH: `${dir}${delimiter}${process.env.PATH}` }, vllmVersion);
    expect(ok).toEqual({ name: 'vllm-version', status: 'ok', detail: 'vLLM 0.32.0 is in the supported range 0.10.2 to 0.32.x', fix: '' });
    const old = join(root, 'doctor-09');
    fakeVllm(old, '0.9.2');
    const warn = await checkVllmVersionRange({ PATH: `${old}${delimiter}${process.env.PATH}` }, vllmVersion);
    expect(warn.status).toBe('warning');
    expect(warn.detail).toContain('older than the supported range 0.10.2 to 0.32.x');
    const none = await checkVllmVersionRange({ PATH: '/nonexistent' }, vllmVersion);
    expect(none).toMatchObject({ status: 'warning', detail: 'no vLLM found (EVALGRAPH_VLLM or `vllm` on PATH)' });
  });
});

describe('flags from the installed vLLM (`vllm serve --help=all`)', () => {
  it("parses the stand-in's help back into exactly the frozen 0.11 table", () => {
    const help = execFileSync(STANDIN, ['serve', '--help=all'], { encoding: 'utf8' });
    expect(parseServeHelp(help)).toEqual({ ...VLLM_SERVE_FLAGS });
  });

  it("parses the GPU stand-in's help (tools/gpu-standin, torch-free part) into the same table", () => {
    const help = execFileSync(join(__dirname, '../../../tools/gpu-standin/vllm'), ['serve', '--help=all'], { encoding: 'utf8' });
    expect(help).toContain('GPU stand-in; not vLLM');
    expect(parseServeHelp(help)).toEqual({ ...VLLM_SERVE_FLAGS });
  });

  it('reads argparse layouts of Python <= 3.12 and >= 3.13, choices, nargs and store_true', () => {
    const help = [
      'options:',
      '  -h, --help            show this help message and exit',
      '  --headless            Run in headless mode. (default: False)',
      '  --api-server-count API_SERVER_COUNT, -asc API_SERVER_COUNT',
      '  -tp, --tensor-parallel-size TENSOR_PARALLEL_SIZE',
      '  --dtype {auto,bfloat16,float16}',
      '  --logits-processors LOGITS_PROCESSORS [LOGITS_PROCESSORS ...]',
      '  --enable-prefix-caching, --no-enable-prefix-caching',
      '                        - Whether to enable prefix caching.',
      '                        --max-model-len is mentioned in help text only',
      '   --json-arg.key1 value1',
    ].join('\n');
    expect(parseServeHelp(help)).toEqual({
      headless: 'switch',
      'api-server-count': 'value',
      'tensor-parallel-size': 'value',
      dtype: 'value',
      'logits-processors': 'value',
      'enable-prefix-caching': 'bool',
    });
  });

  it('runs the help once per version, caches it under .evalgraph/vllm-flags, and checks vllm_args against it', () => {
    const dir = join(root, 'fake-032');
    const exe = fakeVllm(dir, '0.32.0');
    const set = installedVllmFlags(root, { executable: exe, version: '0.32.0' });
    expect(set.source).toBe('installed');
    expect(set.label).toBe('vLLM 0.32.0 (its `vllm serve --help=all`, cached in .evalgraph/vllm-flags/vllm-0.32.0.json)');
    expect(existsSync(vllmFlagsCacheFile(root, '0.32.0'))).toBe(true);
    expect(set.flags['new-sampler-flag']).toBe('value');
    expect(set.flags['tensor-parallel-size']).toBe('value');
    expect(set.flags['swap-space']).toBeUndefined();
    expect(set.flags['not-a-flag']).toBeUndefined();
    installedVllmFlags(root, { executable: exe, version: '0.32.0' });
    expect(helpCalls(dir)).toBe(1);

    // the new version's flag is accepted; the frozen list would have refused it
    expect(checkVllmArgs('m', { new_sampler_flag: 'x' }, set)).toEqual([{ name: 'new-sampler-flag', kind: 'value', value: 'x' }]);
    expect(() => checkVllmArgs('m', { new_sampler_flag: 'x' })).toThrow(ConfigError);
    // a flag 0.11 had and 0.32 (here) dropped: refused, naming the list that was used
    let err: unknown;
    try {
      checkVllmArgs('qwen3-8b', { disable_log_requests: true }, set);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).message).toContain('configs/models/qwen3-8b/model.yaml: vllm_args.disable_log_requests');
    expect((err as ConfigError).message).toContain('vLLM 0.32.0 (its `vllm serve --help=all`');

    // a preset setting the installed vLLM has no flag for: named, before any server starts
    const input = { modelName: 'qwen3-8b', model: qwen3Model(), preset: preset({ swap_space: 4 }), gpu: gpu(), workspaceRoot: '/ws', port: 8000, flags: set };
    expect(() => buildVllmServeArgs(input)).toThrow(VllmFlagsUnsupportedError);
    expect(() => buildVllmServeArgs(input)).toThrow(/--swap-space \(preset swap_space\).*0\.10\.2 to 0\.32\.x/);
    const argv = buildVllmServeArgs({ ...input, preset: preset() });
    expect(argv).toContain('--enable-prefix-caching');
    expect(argv).not.toContain('--swap-space');
  });

  it('a new process reads the cache file instead of running the help again; a torn cache is re-read', () => {
    const dir = join(root, 'fake-0321');
    const exe = fakeVllm(dir, '0.32.1');
    const script = `const { installedVllmFlags } = require(${JSON.stringify(join(__dirname, '..', 'src', 'vllm-help-flags'))}); process.stdout.write(installedVllmFlags(${JSON.stringify(root)}, { executable: ${JSON.stringify(exe)}, version: '0.32.1' }).label);`;
    const run = () => execFileSync(process.execPath, ['-r', '@swc-node/register', '-e', script], { encoding: 'utf8' });
    expect(run()).toContain('vLLM 0.32.1');
    expect(run()).toContain('vLLM 0.32.1');
    expect(helpCalls(dir)).toBe(1);
    writeFileSync(vllmFlagsCacheFile(root, '0.32.1'), '{"schema":1,');
    expect(run()).toContain('vLLM 0.32.1');
    expect(helpCalls(dir)).toBe(2);
  });

  it('falls back to the frozen 0.11 list only when no vLLM is found', () => {
    const setup = vllmSetup({ workspaceRoot: root, englishOnly: false }, { env: { PATH: '/nonexistent', EVALGRAPH_VLLM: '' } });
    expect(setup.flags).toBe(FROZEN_VLLM_FLAG_SET);
    expect(setup.flags.label).toContain('frozen list of vLLM 0.11');
  });

  it('refuses a help text it cannot read rather than accepting no flags', () => {
    const dir = join(root, 'fake-garbled');
    const exe = fakeVllm(dir, '0.99.0');
    writeFileSync(join(dir, 'help.txt'), 'Usage: something else entirely\n');
    expect(() => installedVllmFlags(root, { executable: exe, version: '0.99.0' })).toThrow(/could not find --max-model-len and --port/);
  });
});

describe('English-only processor chosen from the installed version', () => {
  it('picks the interface and pins the model runner it needs', () => {
    expect(englishDeliveryPlan('0.10.2', {})).toMatchObject({ delivery: 'logits-processor', interface: 'v1', serverEnv: {} });
    expect(englishDeliveryPlan('0.11.0', {})).toMatchObject({ interface: 'v1', serverEnv: {} });
    expect(englishDeliveryPlan('0.20.1', {})).toMatchObject({ interface: 'v1', serverEnv: { VLLM_USE_V2_MODEL_RUNNER: '0' } });
    expect(englishDeliveryPlan('0.32.0', {})).toMatchObject({ interface: 'mrv2', serverEnv: { VLLM_USE_V2_MODEL_RUNNER: '1' } });
    expect(englishDeliveryPlan('0.40.0', {})).toMatchObject({ interface: 'mrv2' });
    expect(englishDeliveryPlan('0.32.0', { VLLM_USE_V2_MODEL_RUNNER: '0' })).toMatchObject({ interface: 'v1', serverEnv: {} });
    expect(englishDeliveryPlan('0.32.0', { VLLM_USE_V2_MODEL_RUNNER: '1' })).toMatchObject({ interface: 'mrv2', serverEnv: {} });
    expect(englishDeliveryPlan('0.9.2', {})).toMatchObject({ delivery: 'allowed-token-ids', interface: null });
    expect(englishDeliveryPlan('0.9.2', {}).describe).toContain('per-request allowed_token_ids');
    expect(() => englishDeliveryPlan('0.20.1', { VLLM_USE_V2_MODEL_RUNNER: '1' })).toThrow(EnglishDeliveryError);
    expect(() => englishDeliveryPlan('0.20.1', { VLLM_USE_V2_MODEL_RUNNER: '1' })).toThrow(/caps allowed_token_ids at 1,024 ids/);
  });

  it('writes the module of that interface: the tested template with the artifact path filled in', () => {
    const filter = loadEnglishFilter(root);
    for (const iface of ['v1', 'mrv2'] as const) {
      const template = readFileSync(join(__dirname, '..', 'src', 'english-processors', `${iface}.py`), 'utf8');
      expect(template).toContain(`XARG = "${ENGLISH_XARG}"`);
      const src = logitsProcessorSource(filter.file, iface);
      expect(src).toBe(template.replace('ALLOWED_IDS_FILE = "__EVALGRAPH_ALLOWED_IDS_FILE__"', `ALLOWED_IDS_FILE = ${JSON.stringify(filter.file)}`));
      const lp = writeLogitsProcessorModule(root, filter, iface);
      expect(readFileSync(lp.file, 'utf8')).toBe(src);
    }
    expect(writeLogitsProcessorModule(root, filter, 'mrv2').qualname).toBe(`evalgraph_english_mrv2_${filter.hash}:EnglishOnlyLogitsProcessor`);
    expect(logitsProcessorSource(filter.file, 'mrv2')).toContain('from vllm.v1.worker.gpu.sample.logits_processor.interface import LogitsProcessor');
    expect(logitsProcessorSource(filter.file, 'v1')).toContain('from vllm.v1.sample.logits_processor import LogitsProcessor, MoveDirectionality');
  });

  it('a server of vLLM 0.32.0 gets the MRV2 module, PYTHONPATH and VLLM_USE_V2_MODEL_RUNNER=1', () => {
    const dir = join(root, 'fake-setup-032');
    const exe = fakeVllm(dir, '0.32.0');
    const setup = vllmSetup({ workspaceRoot: root, englishOnly: true }, { executable: exe, env: { VLLM_USE_V2_MODEL_RUNNER: '' } });
    expect(setup.version).toBe('0.32.0');
    expect(setup.english?.interface).toBe('mrv2');
    expect(setup.logitsProcessors[0]).toMatch(/^evalgraph_english_mrv2_[0-9a-f]{12}:EnglishOnlyLogitsProcessor$/);
    expect(setup.env.VLLM_USE_V2_MODEL_RUNNER).toBe('1');
    expect(setup.env.PYTHONPATH?.split(delimiter)[0]).toBe(join(root, '.evalgraph', 'artifacts'));
    const legacy = vllmSetup({ workspaceRoot: root, englishOnly: true }, { executable: exe, env: { VLLM_USE_V2_MODEL_RUNNER: '0' } });
    expect(legacy.english?.interface).toBe('v1');
    expect(legacy.env.VLLM_USE_V2_MODEL_RUNNER).toBeUndefined();
  });

  // python3 alone: the bookkeeping tests of both processors against stubs of vLLM's interfaces (tensor tests skip without torch).
  const py = findExecutable('python3');
  it.skipIf(!py)('python-tests pass with python3 -m unittest', () => {
    const out = execFileSync(py!, ['-m', 'unittest', 'discover', '-s', join(__dirname, '..', 'python-tests')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).toString();
    expect(out).toBe('');
  });
});
