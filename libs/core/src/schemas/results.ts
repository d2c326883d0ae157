import { z } from 'zod';

/** Per-sample outcome taxonomy, counted in metrics.json. */
export const Outcome = z.enum([
  'correct',
  'wrong',
  'no_answer',
  'truncated',
  'sandbox_timeout',
  'sandbox_error',
  'server_error',
  'judge_error',
]);
export type Outcome = z.infer<typeof Outcome>;

/** One line of samples.jsonl. */
export const SampleResult = z
  .object({
    id: z.string(),
    sample_index: z.number().int().min(0).default(0),
    prompt: z.string().describe('the rendered prompt (chat messages are rendered as role-tagged text)'),
    response: z.string(),
    reasoning: z.string().optional(),
    extracted: z.string().nullable().describe('answer extracted for scoring (null when none)'),
    target: z.string().optional(),
    score: z.number().min(0).max(1).describe('primary metric for this sample'),
    scores: z.record(z.string(), z.number()).describe('every per-sample metric (e.g. strict_match, flexible_extract)'),
    outcome: Outcome,
    prompt_tokens: z.number().int().min(0),
    completion_tokens: z.number().int().min(0),
    latency_ms: z.number().min(0),
    detail: z.record(z.string(), z.unknown()).optional().describe('scorer-specific detail (sandbox log, judge verdict, ...)'),
  })
  .strict();
export type SampleResult = z.infer<typeof SampleResult>;

export const MetricValue = z
  .object({
    name: z.string(),
    value: z.number(),
    stderr: z.number().min(0).nullable(),
    ci95: z.tuple([z.number(), z.number()]).nullable(),
    n: z.number().int().min(0),
    higher_is_better: z.boolean().default(true),
    reference: z.string().optional().describe('the reference implementation this metric reproduces (file and commit)'),
  })
  .strict();
export type MetricValue = z.infer<typeof MetricValue>;

export const LatencyStats = z
  .object({ mean: z.number(), p50: z.number(), p90: z.number(), p99: z.number(), max: z.number() })
  .strict();

/** metrics.json of one cell. */
export const MetricsFile = z
  .object({
    cell: z.string(),
    primary: z.string(),
    metrics: z.array(MetricValue),
    n: z.number().int().min(0),
    outcomes: z.record(Outcome, z.number().int().min(0)),
    error_rate: z.number().min(0).max(1),
    requests: z.object({ total: z.number().int(), sent: z.number().int(), from_cache: z.number().int(), failed: z.number().int(), retried: z.number().int() }).strict(),
    tokens: z.object({ prompt: z.number().int(), completion: z.number().int() }).strict(),
    latency_ms: LatencyStats.nullable(),
    throughput_tok_s: z.number().min(0).nullable().describe("this cell's generated tokens per second of its wall time (null when nothing was generated or on the dummy backend); cells that shared a server overlap, so reports sum tokens per server"),
    wall_s: z.number().min(0),
    peak_gpu_memory_gib: z.number().min(0).nullable(),
    kv_cache_usage_max: z.number().min(0).max(1).nullable(),
    complete: z.literal(true).describe('written only after every sample finished'),
  })
  .strict();
export type MetricsFile = z.infer<typeof MetricsFile>;

/** What run.json records of each other result file of its cell. */
export const ResultFileDigest = z
  .object({ sha256: z.string().regex(/^[0-9a-f]{64}$/, 'a sha256 in lower-case hex'), bytes: z.number().int().min(0) })
  .strict();
export type ResultFileDigest = z.infer<typeof ResultFileDigest>;

/** The GPUs the local GPU lease placed a cell's server on, as nvidia-smi reported them. */
export const ServerGpus = z
  .object({
    devices: z.array(z.number().int().min(0)).min(1).describe('nvidia-smi indices (the server\'s CUDA_VISIBLE_DEVICES, PCI bus order)'),
    name: z.string(),
    memory_gib: z.number().positive().describe('memory of one of these GPUs (the smallest): what the memory gate divides the peak by'),
  })
  .strict();
export type ServerGpus = z.infer<typeof ServerGpus>;

/** Slurm's record of the job that ran a cell's server, as run.json keeps it. */
export const SlurmAccounting = z
  .object({
    job_id: z.string().regex(/^\d+(_\d+)?$/, 'a Slurm job id'),
    node: z.string().describe('the node the server ran on (SLURMD_NODENAME)'),
    gpus: z.string().describe('the GPUs Slurm gave the job (its CUDA_VISIBLE_DEVICES), "" when none were visible'),
    gres: z.string().describe('what was asked for, e.g. "gpu:1"'),
    partition: z.string().nullable(),
    queue_wait_s: z.number().min(0).describe('seconds from sbatch until the job ran, as the client saw them'),
  })
  .strict();
export type SlurmAccounting = z.infer<typeof SlurmAccounting>;

/** run.json of one cell: provenance. */
export const RunFile = z
  .object({
    pipeline: z.string(),
    cell: z.string(),
    variant: z.string(),
    model: z.object({ name: z.string(), hf_id: z.string(), revision: z.string(), mode: z.string(), english_only: z.boolean() }).strict(),
    preset: z.string(),
    dataset: z.object({ name: z.string(), split: z.string(), sha256: z.string(), records: z.number().int() }).strict(),
    gpu: z.string(),
    backend: z.enum(['dummy', 'vllm', 'endpoint', 'plugin']).describe('plugin: a backend plugin (server.kind says which)'),
    server: z
      .object({
        kind: z.string().describe('"vllm", "dummy (in-process)", or what /version reported'),
        version: z.string().nullable(),
        command: z.array(z.string()).nullable(),
        flags: z.string().optional().describe('which `vllm serve` flag list the command was checked against (installed vLLM or the frozen 0.11 list)'),
        english_filter: z.string().optional().describe('how the English-only filter reached the server: which logits-processor interface, or per-request allowed_token_ids'),
        slurm: SlurmAccounting.optional().describe('the Slurm job that ran the server (scheduler: slurm only)'),
        gpus: ServerGpus.optional().describe('the GPUs of a local vLLM server, where nvidia-smi was read (absent: the GPU profile\'s numbers stand)'),
        replicas: z
          .number()
          .int()
          .min(2)
          .optional()
          .describe("how many servers of the model answered parts of this cell (a cell divided among the model's servers on a host with several GPUs); command, gpus and slurm are the first one's; absent: one server"),
      })
      .strict(),
    settings: z.record(z.string(), z.unknown()),
    config_hashes: z.record(z.string(), z.string()),
    versions: z.record(z.string(), z.string()),
    sampling: z.record(z.string(), z.unknown()),
    started_at: z.string(),
    finished_at: z.string(),
    served: z
      .object({ from: z.string(), to: z.string() })
      .strict()
      .optional()
      .describe("when the model server worked for this cell: its first request sent (the server up) to its last answer; excludes waiting for the GPU lease and the server's start. Cells that share a server overlap; absent when nothing was sent (dummy backend, every answer from the request cache)"),
    files: z
      .record(z.string(), ResultFileDigest)
      .optional()
      .describe('sha256 and size of every other file of the cell (samples.jsonl, metrics.json, ...), recorded when the cell is written and checked whenever it is loaded, so a damaged file restored from a cache is caught; absent in run.json written before evalgraph recorded them'),
  })
  .strict();
export type RunFile = z.infer<typeof RunFile>;
