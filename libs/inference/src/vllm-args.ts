import { isAbsolute, join } from 'node:path';
import {
  CONFIG_PATHS,
  ConfigError,
  configuredTensorParallel,
  didYouMean,
  effectiveMaxModelLen,
  type ConfigProblem,
  type GpuProfile,
  type ModelConfig,
  planTensorParallel,
  type Preset,
  UserFacingError,
} from '@evalgraph/core';
import { FROZEN_VLLM_FLAG_SET, flagName, type VllmFlagKind, type VllmFlagSet } from './vllm-flags';
import { VLLM_SUPPORTED_RANGE_TEXT } from './vllm-versions';

/** What the `vllm serve` command line is built from. */
export interface VllmArgsInput {
  /** Config name of the model (also the served model name the client sends). */
  modelName: string;
  model: ModelConfig;
  preset: Preset;
  gpu: GpuProfile;
  workspaceRoot: string;
  port: number;
  /** Logits processors to load at start-up, as `module:Class` (the English-only filter). */
  logitsProcessors?: string[];
  /** The flags the target vLLM accepts (default: the frozen 0.11 list; see installedVllmFlags). */
  flags?: VllmFlagSet;
  /** LoRA adapters to serve beside the base model. */
  lora?: { modules: { name: string; path: string }[]; maxRank: number };
}

/** vLLM's accepted --max-lora-rank values (LoRAConfig.possible_max_ranks in 0.11). */
export const VLLM_LORA_RANKS = [8, 16, 32, 64, 128, 256, 320, 512] as const;

/** The smallest --max-lora-rank vLLM accepts that holds an adapter of rank r. */
export function vllmMaxLoraRank(r: number): number {
  const fit = VLLM_LORA_RANKS.find((x) => x >= r);
  if (fit === undefined) throw new UserFacingError(`a LoRA rank of ${r} is above vLLM's largest --max-lora-rank (${VLLM_LORA_RANKS.at(-1)}) — fix: train with a smaller lora.rank`);
  return fit;
}

/** A flag evalgraph derives (from the preset, the model or itself) that the installed vLLM does not have. */
export class VllmFlagsUnsupportedError extends UserFacingError {
  constructor(readonly missing: { flag: string; from: string }[], readonly set: VllmFlagSet) {
    super(
      `${set.label} has no ${missing.map((m) => `--${m.flag} (${m.from})`).join(', ')}; ` +
        `evalgraph supports vLLM ${VLLM_SUPPORTED_RANGE_TEXT} — fix: install a vLLM in that range, or remove the setting from the config named`,
    );
    this.name = 'VllmFlagsUnsupportedError';
  }
}

/** Which config setting makes evalgraph emit a derived flag (for the error when a vLLM lacks it). */
const DERIVED_FROM: Record<string, string> = {
  'gpu-memory-utilization': 'preset gpu_memory_utilization',
  'max-model-len': 'preset max_model_len',
  'max-num-seqs': 'preset max_num_seqs',
  'max-num-batched-tokens': 'preset max_num_batched_tokens',
  'kv-cache-dtype': 'preset kv_cache_dtype',
  dtype: 'preset dtype',
  'enable-prefix-caching': 'preset enable_prefix_caching',
  'enable-chunked-prefill': 'preset enable_chunked_prefill',
  'enforce-eager': 'preset enforce_eager',
  'swap-space': 'preset swap_space',
  'trust-remote-code': 'model trust_remote_code',
  'chat-template': 'model chat_template',
  'tokenizer-mode': 'model tokenizer_mode',
  'reasoning-parser': 'model family qwen3',
  'logits-processors': 'the English-only filter',
  'tensor-parallel-size': 'a model larger than one GPU of the profile',
  'enable-lora': 'a pipeline model entry with adapter:',
  'lora-modules': 'a pipeline model entry with adapter:',
  'max-lora-rank': 'a pipeline model entry with adapter:',
  'max-loras': 'a pipeline model entry with adapter:',
};

/** Flags evalgraph owns: a model's vllm_args may not set them. */
const RESERVED = new Map<string, string>([
  ['model', 'the model is the hf_id field'],
  ['served-model-name', 'evalgraph serves the model under its config name'],
  ['port', 'evalgraph picks a free port'],
  ['host', 'evalgraph binds 127.0.0.1'],
  ['uds', 'evalgraph talks HTTP on a loopback port'],
  ['api-key', 'secrets never go in config files'],
  ['hf-token', 'secrets never go in config files; set HF_TOKEN in the environment'],
  ['config', 'all flags come from model.yaml and the preset'],
  ['headless', 'evalgraph needs the HTTP server'],
]);

type FlagValue = string | number | boolean;

/** One checked `vllm serve` flag from a model's vllm_args. */
export interface CheckedFlag {
  name: string;
  kind: VllmFlagKind;
  value: FlagValue;
}

/**
 * Checks a model's `vllm_args` against the flags vLLM's parser accepts; every problem is reported at once
 * as a ConfigError naming the model file and `vllm_args.<key>`, with a did-you-mean.
 */
export function checkVllmArgs(modelName: string, vllmArgs: Record<string, FlagValue>, set: VllmFlagSet = FROZEN_VLLM_FLAG_SET): CheckedFlag[] {
  const file = CONFIG_PATHS.model(modelName);
  const problems: ConfigProblem[] = [];
  const out: CheckedFlag[] = [];
  for (const [key, v] of Object.entries(vllmArgs)) {
    const name = flagName(key);
    const field = `vllm_args.${key}`;
    const reserved = RESERVED.get(name);
    if (reserved) {
      problems.push({ file, field, expected: 'a flag evalgraph does not set itself', found: `"${key}"`, hint: reserved });
      continue;
    }
    const kind = set.flags[name];
    if (!kind) {
      const guess = didYouMean(name, Object.keys(set.flags));
      problems.push({
        file,
        field,
        expected: `a flag \`vllm serve\` accepts (checked against ${set.label})`,
        found: `"${key}"`,
        hint: guess ? `did you mean "${guess.replace(/-/g, '_')}"?` : 'see `vllm serve --help=all`',
      });
      continue;
    }
    if (kind === 'value' && typeof v === 'boolean') {
      problems.push({ file, field, expected: `a value for --${name}`, found: String(v), hint: `--${name} takes a value, it is not an on/off switch` });
      continue;
    }
    if (kind !== 'value' && typeof v !== 'boolean') {
      problems.push({ file, field, expected: 'true or false', found: JSON.stringify(v), hint: `--${name} is an on/off switch` });
      continue;
    }
    out.push({ name, kind, value: v });
  }
  if (problems.length) throw new ConfigError(problems);
  return out;
}

/** Tensor-parallel degree a model's config asks for (1 when it sets none; planTensorParallel adds the memory fit). */
export function tensorParallelSize(model: ModelConfig): number {
  return configuredTensorParallel(model) ?? 1;
}

/** Absolute path of a model's chat template, or undefined. */
export function chatTemplatePath(model: ModelConfig, workspaceRoot: string): string | undefined {
  if (!model.chat_template) return undefined;
  return isAbsolute(model.chat_template) ? model.chat_template : join(workspaceRoot, model.chat_template);
}

/**
 * The engine settings evalgraph derives from model + preset + GPU, before the model's own vllm_args
 * (which override them). Ordered map: flag name → value.
 */
export function derivedVllmFlags(input: VllmArgsInput): Map<string, FlagValue> {
  const { model, preset } = input;
  const m = new Map<string, FlagValue>();
  m.set('revision', model.revision);
  m.set('host', '127.0.0.1');
  m.set('port', input.port);
  m.set('served-model-name', input.modelName);
  m.set('gpu-memory-utilization', preset.gpu_memory_utilization);
  m.set('max-model-len', effectiveMaxModelLen(model.architecture, preset));
  m.set('max-num-seqs', preset.max_num_seqs);
  if (preset.max_num_batched_tokens !== undefined) m.set('max-num-batched-tokens', preset.max_num_batched_tokens);
  m.set('kv-cache-dtype', preset.kv_cache_dtype);
  m.set('dtype', preset.dtype);
  m.set('enable-prefix-caching', preset.enable_prefix_caching);
  m.set('enable-chunked-prefill', preset.enable_chunked_prefill);
  if (preset.enforce_eager) m.set('enforce-eager', true);
  if (preset.swap_space !== undefined) m.set('swap-space', preset.swap_space);
  if (model.trust_remote_code) m.set('trust-remote-code', true);
  const template = chatTemplatePath(model, input.workspaceRoot);
  if (template) m.set('chat-template', template);
  m.set('tokenizer-mode', model.tokenizer_mode);
  if (model.family === 'qwen3') m.set('reasoning-parser', 'qwen3');
  // Without this vLLM silently applies the model's generation_config.json sampling defaults to every request.
  m.set('generation-config', 'vllm');
  m.set('seed', 0);
  if (input.logitsProcessors?.length) m.set('logits-processors', input.logitsProcessors.join(' '));
  // A model too large for one GPU of the profile spans several (the GPU lease gives the server that many).
  const tp = planTensorParallel(model, preset, input.gpu);
  if (tp.source === 'memory') m.set('tensor-parallel-size', tp.size);
  if (input.lora?.modules.length) {
    // One server answers for the base model and every adapter: requests pick one by its name.
    m.set('enable-lora', true);
    m.set('max-loras', input.lora.modules.length);
    m.set('max-lora-rank', vllmMaxLoraRank(input.lora.maxRank));
    m.set('lora-modules', input.lora.modules.map((x) => `${x.name}=${x.path}`).join('\n'));
  }
  // One access-log line per request drowns the start-up log that failure diagnosis reads.
  m.set('disable-uvicorn-access-log', true);
  return m;
}

/** The merged flags (derived, then the model's vllm_args) as name → value, each checked against vLLM's list. */
export function mergedVllmFlags(input: VllmArgsInput): Map<string, FlagValue> {
  const set = input.flags ?? FROZEN_VLLM_FLAG_SET;
  const merged = derivedVllmFlags(input);
  const missing = [...merged.keys()].filter((name) => !(name in set.flags)).map((flag) => ({ flag, from: DERIVED_FROM[flag] ?? 'evalgraph needs it' }));
  if (missing.length) throw new VllmFlagsUnsupportedError(missing, set);
  for (const f of checkVllmArgs(input.modelName, input.model.vllm_args, set)) merged.set(f.name, f.value);
  return merged;
}

/** Renders flags as argv, honouring BooleanOptionalAction (`--x` / `--no-x`) and store_true switches. */
export function renderFlags(flags: Map<string, FlagValue>, set: VllmFlagSet = FROZEN_VLLM_FLAG_SET): string[] {
  const argv: string[] = [];
  for (const [name, v] of flags) {
    const kind = set.flags[name];
    if (!kind) throw new Error(`internal: --${name} is not in the flag list of ${set.label}`);
    if (kind === 'bool') argv.push(v ? `--${name}` : `--no-${name}`);
    else if (kind === 'switch') {
      if (v) argv.push(`--${name}`);
    } else if (name === 'logits-processors') argv.push(`--${name}`, ...String(v).split(' '));
    else if (name === 'lora-modules') argv.push(`--${name}`, ...String(v).split('\n'));
    else argv.push(`--${name}`, String(v));
  }
  return argv;
}

/** `serve <hf_id> --revision ... --port ...`: the argv after the vllm executable. */
export function buildVllmServeArgs(input: VllmArgsInput): string[] {
  return ['serve', input.model.hf_id, ...renderFlags(mergedVllmFlags(input), input.flags)];
}
