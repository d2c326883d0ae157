import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '@evalgraph/core';
import { VLLM_SERVE_FLAGS, isKnownVllmFlag, type VllmFlagKind } from '../src/vllm-flags';
import { buildVllmServeArgs, checkVllmArgs } from '../src/vllm-args';
import { FIXTURES, gpu, preset, qwen3Model } from './helpers';

/** Derives `vllm serve` flags from the transcription of vLLM's source, the way vLLM's parser builds them. */
function flagsFromSource(): Map<string, VllmFlagKind> {
  const text = readFileSync(join(FIXTURES, 'vllm-0.11-serve-flags.txt'), 'utf8');
  const out = new Map<string, VllmFlagKind>();
  for (const line of text.split('\n')) {
    if (!line.trim() || line.startsWith('#')) continue;
    const [source, , name, ...rest] = line.split(' ');
    if (source === 'frontend') {
      // FrontendArgs.add_cli_args: f"--{key.replace('_', '-')}"; bool fields get BooleanOptionalAction
      out.set(name.replace(/_/g, '-'), rest.join(' ') === 'bool' ? 'bool' : 'value');
    } else {
      expect(name.startsWith('--')).toBe(true);
      out.set(name.slice(2), rest[0] as VllmFlagKind);
    }
  }
  return out;
}

function argvFlags(argv: string[]): string[] {
  return argv.filter((a) => a.startsWith('--'));
}

describe('VLLM_SERVE_FLAGS', () => {
  it('is exactly the flag set transcribed from vLLM 0.11 arg_utils.py + cli_args.py', () => {
    const source = flagsFromSource();
    expect(Object.keys(VLLM_SERVE_FLAGS).sort()).toEqual([...source.keys()].sort());
    for (const [name, kind] of source) expect([name, VLLM_SERVE_FLAGS[name]]).toEqual([name, kind]);
  });

  it('knows --no-x only for BooleanOptionalAction flags', () => {
    expect(isKnownVllmFlag('--no-enable-prefix-caching')).toBe(true);
    expect(isKnownVllmFlag('--no-disable-log-stats')).toBe(false); // store_true: no negative form
    expect(isKnownVllmFlag('--max_model_len=4096')).toBe(true);
    expect(isKnownVllmFlag('--max-modle-len')).toBe(false);
  });
});

describe('buildVllmServeArgs', () => {
  const base = { modelName: 'qwen3-8b', preset: preset({ enable_prefix_caching: false, swap_space: 4, max_num_batched_tokens: 8192 }), gpu: gpu(), workspaceRoot: '/ws', port: 8123 };

  it('emits only flags vLLM accepts, with the merged model + preset settings', () => {
    const argv = buildVllmServeArgs({ ...base, model: qwen3Model(), logitsProcessors: ['evalgraph_english_abc:EnglishOnlyLogitsProcessor'] });
    expect(argv.slice(0, 2)).toEqual(['serve', 'Qwen/Qwen3-8B']);
    for (const f of argvFlags(argv)) expect(isKnownVllmFlag(f), f).toBe(true);
    const s = argv.join(' ');
    expect(s).toContain(`--revision ${'0'.repeat(40)}`);
    expect(s).toContain('--host 127.0.0.1 --port 8123 --served-model-name qwen3-8b');
    expect(s).toContain('--gpu-memory-utilization 0.6');
    expect(s).toContain('--max-model-len 8192');
    expect(s).toContain('--max-num-seqs 64 --max-num-batched-tokens 8192');
    expect(s).toContain('--no-enable-prefix-caching');
    expect(s).toContain('--enable-chunked-prefill');
    expect(s).toContain('--swap-space 4');
    expect(s).toContain('--reasoning-parser qwen3');
    expect(s).toContain('--generation-config vllm');
    expect(s).toContain('--logits-processors evalgraph_english_abc:EnglishOnlyLogitsProcessor');
    expect(s).not.toContain('--trust-remote-code');
  });

  it('handles the older Qwen chat models: remote code, explicit chat template, slow tokenizer, no reasoning parser', () => {
    const model = qwen3Model({ family: 'qwen', chat_format: 'qwen-chatml', trust_remote_code: true, chat_template: 'configs/models/qwen-7b/chatml.jinja', tokenizer_mode: 'slow', vllm_args: { max_model_len: 2048, enforce_eager: true } });
    const argv = buildVllmServeArgs({ ...base, model });
    const s = argv.join(' ');
    expect(s).toContain('--trust-remote-code');
    expect(s).toContain('--chat-template /ws/configs/models/qwen-7b/chatml.jinja');
    expect(s).toContain('--tokenizer-mode slow');
    expect(s).not.toContain('--reasoning-parser');
    // vllm_args override the preset, once
    expect(argv.filter((a) => a === '--max-model-len')).toHaveLength(1);
    expect(s).toContain('--max-model-len 2048');
    expect(s).toContain('--enforce-eager');
    for (const f of argvFlags(argv)) expect(isKnownVllmFlag(f), f).toBe(true);
  });

  it('rejects an unknown vllm_args key with the model file, the field and a did-you-mean', () => {
    let err: unknown;
    try {
      checkVllmArgs('qwen3-8b', { max_modle_len: 4096, enable_prefix_caching: true });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const ce = err as ConfigError;
    expect(ce.problems).toHaveLength(1);
    expect(ce.problems[0].file).toBe('configs/models/qwen3-8b/model.yaml');
    expect(ce.problems[0].field).toBe('vllm_args.max_modle_len');
    expect(ce.message).toContain('did you mean "max_model_len"?');
    expect(ce.message).toContain('vLLM 0.11');
  });

  it('rejects reserved flags, secrets and values of the wrong shape, all at once', () => {
    expect(() => checkVllmArgs('m', { port: 1, api_key: 'x', max_model_len: true, enforce_eager: 'yes' })).toThrow(ConfigError);
    try {
      checkVllmArgs('m', { port: 1, api_key: 'x', max_model_len: true, enforce_eager: 'yes' });
    } catch (e) {
      const fields = (e as ConfigError).problems.map((p) => p.field);
      expect(fields).toEqual(['vllm_args.port', 'vllm_args.api_key', 'vllm_args.max_model_len', 'vllm_args.enforce_eager']);
      expect((e as ConfigError).message).not.toContain('"x"'); // a secret-looking value is never echoed
    }
  });

  // Runs only where a real vLLM is installed: every flag we emit must appear in `vllm serve --help=all`.
  it.skipIf(!process.env.EVALGRAPH_VLLM_REAL)('matches the installed vLLM (EVALGRAPH_VLLM_REAL=/path/to/vllm)', () => {
    const help = execFileSync(process.env.EVALGRAPH_VLLM_REAL!, ['serve', '--help=all'], { encoding: 'utf8', maxBuffer: 64 << 20 });
    const argv = buildVllmServeArgs({ ...base, model: qwen3Model() });
    for (const f of argvFlags(argv)) expect(help, f).toContain(f.replace(/^--no-/, '--'));
  });
});
