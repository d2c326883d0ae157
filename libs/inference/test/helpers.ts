import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { GpuProfile, ModelConfig, Preset, type ModelMode } from '@evalgraph/core';
import type { ServerSpec } from '../src/types';

export const FIXTURES = join(__dirname, 'fixtures');
export const STANDIN_DIR = join(FIXTURES, 'standin-vllm');
export const STANDIN = join(STANDIN_DIR, 'vllm');

/** Puts the stand-in vLLM first on PATH (and clears EVALGRAPH_VLLM / EVALGRAPH_NVIDIA_SMI). */
export function useStandin(): void {
  if (!(process.env.PATH ?? '').startsWith(STANDIN_DIR)) process.env.PATH = `${STANDIN_DIR}${delimiter}${process.env.PATH ?? ''}`;
  delete process.env.EVALGRAPH_VLLM;
  delete process.env.EVALGRAPH_NVIDIA_SMI;
}

/** A temporary workspace root, removed by the returned cleanup. */
export function tempRoot(prefix = 'evalgraph-inf-'): { root: string; cleanup: () => void } {
  const root = mkdtempSync(join(tmpdir(), prefix));
  return { root, cleanup: () => rmSync(root, { recursive: true, force: true }) };
}

export const THINKING: ModelMode = {
  sampling: { temperature: 0.6, top_p: 0.95, top_k: 20, min_p: 0, presence_penalty: 0, repetition_penalty: 1 },
  max_tokens: 64,
  chat_template_kwargs: { enable_thinking: true },
  reasoning: true,
};
export const NON_THINKING: ModelMode = {
  sampling: { temperature: 0.7, top_p: 0.8, top_k: 20, min_p: 0, presence_penalty: 0, repetition_penalty: 1 },
  max_tokens: 32,
  chat_template_kwargs: { enable_thinking: false },
  reasoning: false,
};

/** A Qwen3-8B-like model config. */
export function qwen3Model(over: Partial<Record<string, unknown>> = {}): ModelConfig {
  return ModelConfig.parse({
    hf_id: 'Qwen/Qwen3-8B',
    revision: '0'.repeat(40),
    family: 'qwen3',
    chat_format: 'qwen3-chatml',
    architecture: { params_b: 8.2, layers: 36, attention_heads: 32, kv_heads: 8, head_dim: 128, hidden_size: 4096, vocab_size: 151936, max_position_embeddings: 40960 },
    modes: { thinking: THINKING, 'non-thinking': NON_THINKING },
    default_mode: 'thinking',
    english_only: { supported: true, tokenizer: 'qwen3' },
    ...over,
  });
}

export function preset(over: Partial<Record<string, unknown>> = {}): Preset {
  return Preset.parse({ gpu_memory_utilization: 0.6, max_model_len: 8192, max_num_seqs: 64, concurrency: 4, request_timeout_s: 30, max_retries: 4, ...over });
}

export function gpu(over: Partial<Record<string, unknown>> = {}): GpuProfile {
  return GpuProfile.parse({ name: 'NVIDIA H100 80GB HBM3', memory_gib: 80, count: 1, compute_capability: '9.0', fp8: true, ...over });
}

/** A vllm ServerSpec for the stand-in. */
export function spec(root: string, name = 'qwen3-8b', over: Partial<ServerSpec> = {}): ServerSpec {
  return {
    key: `${name}@balanced`,
    modelName: name,
    model: qwen3Model(),
    preset: preset(),
    presetName: 'balanced',
    gpu: gpu(),
    gpuName: 'h100-80gb',
    backend: 'vllm',
    englishOnly: false,
    workspaceRoot: root,
    logFile: join(root, 'logs', `${name}.log`),
    ...over,
  };
}

/** Lines of a JSONL file written by the stand-in (empty when absent). */
export function readJsonLines<T>(file: string): T[] {
  if (!existsSync(file)) return [];
  // A stand-in may be appending while this reads: text after the last newline is a line still being written.
  const text = readFileSync(file, 'utf8');
  return text
    .slice(0, text.lastIndexOf('\n') + 1)
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as T);
}

/** Processes whose command line mentions `needle` (from `ps -eo pid,pgid,args`), excluding zombies and ps itself. */
export function processesMatching(needle: string): string[] {
  const out = execFileSync('ps', ['-eo', 'pid,pgid,stat,args'], { encoding: 'utf8' });
  return out
    .split('\n')
    .slice(1)
    .filter((l) => l.includes(needle) && !/\sZ/.test(l.slice(0, 30)) && !l.includes(' ps -eo'));
}

/** Polls until `fn` returns true or the timeout passes. */
export async function waitFor(fn: () => boolean, timeoutMs: number, intervalMs = 50): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (fn()) return true;
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  return fn();
}

export interface StandinRequest {
  time: number;
  pid: number;
  path: string;
  probe: boolean;
  body: Record<string, unknown>;
}
export interface StandinEvent {
  event: string;
  pid: number;
  model: string;
  port: number;
  time: number;
}
