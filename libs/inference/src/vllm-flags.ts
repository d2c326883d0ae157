/**
 * The long option names `vllm serve` accepts, and how each takes its value.
 *
 * Checked against vLLM 0.11 (the release line with `vllm.utils.argparse_utils` and the deprecated
 * guided-decoding flags "removed in v0.12.0"):
 *   - vllm/engine/arg_utils.py at commit 99d7eb5d6a512cfcc5a2b104f24ebf2d6cda772b:
 *     EngineArgs.add_cli_args (every `add_argument("--...")`) and AsyncEngineArgs.add_cli_args;
 *   - vllm/entrypoints/openai/cli_args.py of the same line: FrontendArgs fields (each becomes
 *     `--<field-with-dashes>`) and make_arg_parser (`--headless`, `--api-server-count`, `--config`).
 * The transcription is test/fixtures/vllm-0.11-serve-flags.txt; a unit test derives this table from it.
 * Only a fallback: where vLLM is installed, flags are checked against its own parser (vllm-help-flags.ts).
 * vLLM builds bool dataclass fields with argparse.BooleanOptionalAction, so those accept `--x` and `--no-x`.
 */
export type VllmFlagKind = 'value' | 'bool' | 'switch';

/** Which vLLM the flag table was checked against (shown in errors and run provenance). */
export const VLLM_FLAGS_CHECKED_AGAINST = 'vLLM 0.11 (vllm/engine/arg_utils.py @ 99d7eb5d, vllm/entrypoints/openai/cli_args.py FrontendArgs)';

const value = (names: string): [string, VllmFlagKind][] => names.trim().split(/\s+/).map((n) => [n, 'value']);
const bool = (names: string): [string, VllmFlagKind][] => names.trim().split(/\s+/).map((n) => [n, 'bool']);
const sw = (names: string): [string, VllmFlagKind][] => names.trim().split(/\s+/).map((n) => [n, 'switch']);

/** `vllm serve` flag name (kebab case, no leading dashes) → how it takes a value. */
export const VLLM_SERVE_FLAGS: Readonly<Record<string, VllmFlagKind>> = Object.freeze(
  Object.fromEntries([
    // ModelConfig group
    ...value(`model runner convert task tokenizer tokenizer-mode dtype seed hf-config-path allowed-local-media-path
      allowed-media-domains revision code-revision rope-scaling rope-theta tokenizer-revision max-model-len quantization
      max-logprobs logprobs-mode served-model-name config-format hf-token hf-overrides pooler-config override-pooler-config
      logits-processor-pattern generation-config override-generation-config model-impl override-attention-dtype
      logits-processors io-processor-plugin`),
    ...bool(`trust-remote-code enforce-eager disable-sliding-window disable-cascade-attn skip-tokenizer-init
      enable-prompt-embeds enable-sleep-mode`),
    // LoadConfig group
    ...value(`load-format download-dir safetensors-load-strategy model-loader-extra-config ignore-patterns pt-load-map-location`),
    ...bool(`use-tqdm-on-load`),
    // StructuredOutputsConfig group (the guided-decoding ones are deprecated, declared with type=bool/str)
    ...value(`reasoning-parser guided-decoding-backend guided-decoding-disable-fallback guided-decoding-disable-any-whitespace
      guided-decoding-disable-additional-properties`),
    // ParallelConfig group
    ...value(`distributed-executor-backend pipeline-parallel-size tensor-parallel-size decode-context-parallel-size
      data-parallel-size data-parallel-rank data-parallel-start-rank data-parallel-size-local data-parallel-address
      data-parallel-rpc-port data-parallel-backend all2all-backend dbo-decode-token-threshold dbo-prefill-token-threshold
      eplb-config expert-placement-strategy num-redundant-experts eplb-window-size eplb-step-interval
      max-parallel-loading-workers worker-cls worker-extension-cls`),
    ...bool(`data-parallel-hybrid-lb enable-expert-parallel enable-dbo disable-nccl-for-dp-synchronization enable-eplb
      eplb-log-balancedness ray-workers-use-nsight disable-custom-all-reduce`),
    ...sw(`enable-multimodal-encoder-data-parallel`),
    // CacheConfig group
    ...value(`block-size gpu-memory-utilization kv-cache-memory-bytes swap-space kv-cache-dtype num-gpu-blocks-override
      prefix-caching-hash-algo cpu-offload-gb mamba-cache-dtype mamba-ssm-cache-dtype mamba-block-size`),
    ...bool(`enable-prefix-caching calculate-kv-scales kv-sharing-fast-prefill`),
    // MultiModalConfig group
    ...value(`limit-mm-per-prompt media-io-kwargs mm-processor-kwargs mm-processor-cache-gb mm-processor-cache-type
      mm-shm-cache-max-object-size-mb mm-encoder-tp-mode mm-encoder-attn-backend video-pruning-rate`),
    ...bool(`enable-mm-embeds interleave-mm-strings skip-mm-profiling`),
    ...sw(`disable-mm-preprocessor-cache`),
    // LoRAConfig group
    ...value(`max-loras max-lora-rank lora-extra-vocab-size lora-dtype max-cpu-loras default-mm-loras`),
    ...bool(`enable-lora fully-sharded-loras`),
    // ObservabilityConfig group
    ...value(`show-hidden-metrics-for-version otlp-traces-endpoint collect-detailed-traces`),
    // SchedulerConfig group
    ...value(`max-num-batched-tokens max-num-seqs max-num-partial-prefills max-long-partial-prefills
      long-prefill-token-threshold num-lookahead-slots scheduling-policy scheduler-cls`),
    ...bool(`enable-chunked-prefill disable-chunked-mm-input disable-hybrid-kv-cache-manager async-scheduling`),
    // CompilationConfig and VllmConfig groups
    ...value(`cudagraph-capture-sizes cuda-graph-sizes max-cudagraph-capture-size speculative-config kv-transfer-config
      kv-events-config compilation-config additional-config structured-outputs-config`),
    // other engine arguments
    ...sw(`disable-log-stats aggregate-engine-logging`),
    ...bool(`enable-log-requests disable-log-requests`),
    // FrontendArgs (cli_args.py)
    ...value(`host port uds uvicorn-log-level allowed-origins allowed-methods allowed-headers api-key lora-modules
      chat-template chat-template-content-format response-role ssl-keyfile ssl-certfile ssl-ca-certs ssl-cert-reqs root-path
      middleware tool-call-parser tool-parser-plugin tool-server log-config-file max-log-len h11-max-incomplete-event-size
      h11-max-header-count`),
    ...bool(`disable-uvicorn-access-log allow-credentials trust-request-chat-template enable-ssl-refresh
      return-tokens-as-token-ids disable-frontend-multiprocessing enable-request-id-headers enable-auto-tool-choice
      exclude-tools-when-tool-choice-none disable-fastapi-docs enable-prompt-tokens-details enable-server-load-tracking
      enable-force-include-usage enable-tokenizer-info-endpoint enable-log-outputs log-error-stack tokens-only`),
    // make_arg_parser
    ...sw(`headless`),
    ...value(`api-server-count config`),
  ]),
);

/** The flags one vLLM accepts, and where that list came from (shown in errors, `validate` and run.json). */
export interface VllmFlagSet {
  flags: Readonly<Record<string, VllmFlagKind>>;
  /** 'installed': parsed from the installed vLLM's `vllm serve --help=all`; 'frozen': VLLM_SERVE_FLAGS (no vLLM found). */
  source: 'installed' | 'frozen';
  /** The vLLM version the list belongs to (null for the frozen list when no vLLM was found). */
  version: string | null;
  /** One line for people: "vLLM 0.32.0 (`vllm serve --help=all`, cached in .evalgraph/vllm-flags/...)". */
  label: string;
}

/** The frozen 0.11 list as a flag set: only used when no vLLM is installed (validate on a laptop, CI). */
export const FROZEN_VLLM_FLAG_SET: VllmFlagSet = Object.freeze({
  flags: VLLM_SERVE_FLAGS,
  source: 'frozen' as const,
  version: null,
  label: `the frozen list of ${VLLM_FLAGS_CHECKED_AGAINST} (no vLLM installed here)`,
});

/** `max_model_len` / `--max-model-len` / `max-model-len` → `max-model-len` (vLLM's parser accepts underscores too). */
export function flagName(key: string): string {
  return key.replace(/^-+/, '').replace(/_/g, '-');
}

/** Whether `vllm serve` accepts `--<name>` (or `--no-<name>` for BooleanOptionalAction flags). */
export function isKnownVllmFlag(option: string, set: VllmFlagSet = FROZEN_VLLM_FLAG_SET): boolean {
  const name = flagName(option.split('=')[0]);
  if (name in set.flags) return true;
  return name.startsWith('no-') && set.flags[name.slice(3)] === 'bool';
}
