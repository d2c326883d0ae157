import { UserFacingError } from '@evalgraph/core';
import type { EnglishFilterDelivery, EnglishProcessorInterface } from './english-filter';
import { compareVllmVersions, parseVllmVersion, vllmRangeStatus, VLLM_SUPPORTED_RANGE } from './vllm-versions';

/** How the English-only filter reaches one vLLM server, chosen from the installed version. */
export interface EnglishDeliveryPlan {
  delivery: EnglishFilterDelivery;
  /** The processor interface, when delivery is 'logits-processor'. */
  interface: EnglishProcessorInterface | null;
  /**
   * Environment the server gets so that the model runner is the one the delivery needs. Set only when the
   * user has not set VLLM_USE_V2_MODEL_RUNNER; their setting always wins (and then picks the interface).
   */
  serverEnv: Record<string, string>;
  /** One line for run.json and logs: "logits processor, vLLM V1 interface (legacy runner pinned: ...)". */
  describe: string;
}

/** Model Runner V2's custom logits-processor interface, as documented for this release (docs.vllm.ai/en/v0.32.0). */
export const MRV2_PROCESSOR_SINCE = '0.32.0';
/** vLLM reads VLLM_USE_V2_MODEL_RUNNER from this release on (older ones warn about an unknown VLLM_ variable). */
const RUNNER_SWITCH_SINCE = '0.12.0';

function userRunnerChoice(env: NodeJS.ProcessEnv): boolean | null {
  const v = env.VLLM_USE_V2_MODEL_RUNNER?.trim().toLowerCase();
  if (v === undefined || v === '') return null;
  return v === '1' || v === 'true';
}

const atLeast = (version: string | null, floor: string) => {
  const v = parseVllmVersion(version);
  return v !== null && compareVllmVersions(v, parseVllmVersion(floor)!) >= 0;
};

/**
 * Picks the English-only delivery for the vLLM evalgraph starts:
 * - 0.10.2 to 0.31.x: the V1-interface processor (vllm.v1.sample.logits_processor), with the legacy runner
 *   pinned (VLLM_USE_V2_MODEL_RUNNER=0) on releases that have the switch;
 * - 0.32.0 and newer: the Model Runner V2 processor with VLLM_USE_V2_MODEL_RUNNER=1, or the V1 processor if
 *   the user set VLLM_USE_V2_MODEL_RUNNER=0 (the legacy runner keeps the V1 interface);
 * - older than 0.10.2, or a version evalgraph cannot read: per-request allowed_token_ids.
 * Per-request allowed_token_ids on Model Runner V2 is capped at 1,024 ids (MAX_NUM_ALLOWED_TOKEN_IDS in
 * vllm/v1/worker/gpu/sample/logit_bias.py) and the set has 94,330, so that fallback pins the legacy runner;
 * a user who forces Model Runner V2 on a release before 0.32 gets an error before the server starts.
 */
export function englishDeliveryPlan(version: string | null, env: NodeJS.ProcessEnv = process.env): EnglishDeliveryPlan {
  const status = vllmRangeStatus(version);
  const user = userRunnerChoice(env);
  const pin = (value: '0' | '1'): Record<string, string> => (user === null && atLeast(version, RUNNER_SWITCH_SINCE) ? { VLLM_USE_V2_MODEL_RUNNER: value } : {});
  if (status === 'standin') return { delivery: 'logits-processor', interface: 'v1', serverEnv: {}, describe: 'logits processor, vLLM V1 interface (test stand-in)' };
  if (status === 'older' || status === 'unknown') {
    if (user === true) throw new EnglishDeliveryError(version, 'VLLM_USE_V2_MODEL_RUNNER=1');
    return { delivery: 'allowed-token-ids', interface: null, serverEnv: pin('0'), describe: `per-request allowed_token_ids (vLLM ${version ?? 'version unknown'} is outside ${VLLM_SUPPORTED_RANGE.min}+: no custom logits processor)` };
  }
  if (atLeast(version, MRV2_PROCESSOR_SINCE)) {
    if (user === false) return { delivery: 'logits-processor', interface: 'v1', serverEnv: {}, describe: 'logits processor, vLLM V1 interface (VLLM_USE_V2_MODEL_RUNNER=0 set by the user: legacy runner)' };
    return { delivery: 'logits-processor', interface: 'mrv2', serverEnv: pin('1'), describe: `logits processor, Model Runner V2 interface (VLLM_USE_V2_MODEL_RUNNER=${user === null ? '1 set by evalgraph' : '1 set by the user'})` };
  }
  if (user === true) throw new EnglishDeliveryError(version, 'VLLM_USE_V2_MODEL_RUNNER=1');
  const pinned = pin('0');
  return {
    delivery: 'logits-processor',
    interface: 'v1',
    serverEnv: pinned,
    describe: `logits processor, vLLM V1 interface${pinned.VLLM_USE_V2_MODEL_RUNNER ? ' (VLLM_USE_V2_MODEL_RUNNER=0 set by evalgraph: legacy runner)' : ''}`,
  };
}

/** The English-only filter cannot reach this vLLM as configured; raised before any server starts. */
export class EnglishDeliveryError extends UserFacingError {
  constructor(version: string | null, setting: string) {
    super(
      `English-only filter: ${setting} with vLLM ${version ?? '(version unknown)'}: Model Runner V2 has no custom logits processors before ${MRV2_PROCESSOR_SINCE} ` +
        `and caps allowed_token_ids at 1,024 ids (the filter allows 94,330) — fix: unset ${setting.split('=')[0]} (evalgraph then uses the legacy runner) or install vLLM >= ${MRV2_PROCESSOR_SINCE}`,
    );
    this.name = 'EnglishDeliveryError';
  }
}
