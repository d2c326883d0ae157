import { z } from 'zod';

/** configs/presets/<preset>.yaml: vLLM engine knobs and client concurrency. */
export const Preset = z
  .object({
    $schema: z.string().optional(),
    description: z.string().optional(),
    gpu_memory_utilization: z.number().gt(0).max(0.99),
    max_model_len: z.number().int().min(256).max(1_048_576),
    max_num_seqs: z.number().int().min(1).max(4096),
    max_num_batched_tokens: z.number().int().min(256).optional(),
    kv_cache_dtype: z.enum(['auto', 'fp8', 'fp8_e4m3', 'fp8_e5m2']).default('auto'),
    dtype: z.enum(['auto', 'bfloat16', 'float16']).default('auto'),
    enable_prefix_caching: z.boolean().default(true),
    enable_chunked_prefill: z.boolean().default(true),
    enforce_eager: z.boolean().default(false),
    swap_space: z.number().min(0).optional().describe('CPU swap space per GPU in GiB'),
    concurrency: z.number().int().min(1).max(4096).describe('requests in flight from the client'),
    request_timeout_s: z.number().positive().default(600),
    max_retries: z.number().int().min(0).max(20).default(4),
  })
  .strict();
export type Preset = z.infer<typeof Preset>;
