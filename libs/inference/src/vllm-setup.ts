import { delimiter } from 'node:path';
import { englishDeliveryPlan, type EnglishDeliveryPlan } from './english-interface';
import { writeLogitsProcessorModule } from './english-filter';
import { resolveVllmExecutable } from './proc';
import { vllmRuntimeVersion } from './runtime-version';
import type { ServerSpec } from './types';
import { FROZEN_VLLM_FLAG_SET, type VllmFlagSet } from './vllm-flags';
import { installedVllmFlags } from './vllm-help-flags';

/** What a server of one spec gets from the installed vLLM: its flag list, and how the English filter reaches it. */
export interface VllmSetup {
  executable: string | null;
  version: string | null;
  flags: VllmFlagSet;
  /** null when the spec has no English-only filter. */
  english: EnglishDeliveryPlan | null;
  /** `--logits-processors` values (empty unless the plan delivers a processor). */
  logitsProcessors: string[];
  /** Environment additions for the server: PYTHONPATH for the processor, the model-runner switch. */
  env: Record<string, string>;
}

/**
 * Resolves a spec against the installed vLLM (version once per process, flag list once per version) and
 * writes the English-only processor module for the interface that version needs. Without a vLLM: the
 * frozen flag list and no processor (nothing can start, but cache keys and `validate` still work).
 */
export function vllmSetup(spec: Pick<ServerSpec, 'workspaceRoot' | 'englishOnly'>, opts: { executable?: string; env?: NodeJS.ProcessEnv } = {}): VllmSetup {
  const env = { ...process.env, ...opts.env };
  let executable: string | null = null;
  try {
    executable = opts.executable ?? resolveVllmExecutable(env);
  } catch {
    executable = null;
  }
  const version = executable ? vllmRuntimeVersion(executable) : null;
  const flags = executable && version ? installedVllmFlags(spec.workspaceRoot, { executable, env, version }) : FROZEN_VLLM_FLAG_SET;
  const out: VllmSetup = { executable, version, flags, english: null, logitsProcessors: [], env: {} };
  if (!spec.englishOnly || !executable) return out;
  const plan = englishDeliveryPlan(version, env);
  out.english = plan;
  Object.assign(out.env, plan.serverEnv);
  if (plan.delivery === 'logits-processor' && plan.interface) {
    const lp = writeLogitsProcessorModule(spec.workspaceRoot, undefined, plan.interface);
    out.logitsProcessors.push(lp.qualname);
    const base = env.PYTHONPATH;
    out.env.PYTHONPATH = base ? `${lp.dir}${delimiter}${base}` : lp.dir;
  }
  return out;
}
