import { z } from 'zod';
import { PinnedRevision, Sampling } from './common';

/** Architecture numbers (from the model's config.json) that size weights and KV cache. */
export const Architecture = z
  .object({
    params_b: z.number().positive().describe('parameter count in billions'),
    layers: z.number().int().positive(),
    attention_heads: z.number().int().positive(),
    kv_heads: z.number().int().positive(),
    head_dim: z.number().int().positive(),
    hidden_size: z.number().int().positive(),
    vocab_size: z.number().int().positive(),
    max_position_embeddings: z.number().int().positive(),
    weight_dtype: z.enum(['bfloat16', 'float16', 'float32']).default('bfloat16'),
  })
  .strict();
export type Architecture = z.infer<typeof Architecture>;

/** One generation mode of a model (e.g. Qwen3 thinking / non-thinking). */
export const ModelMode = z
  .object({
    description: z.string().optional(),
    sampling: Sampling,
    max_tokens: z.number().int().min(1).max(262_144).describe('max output tokens per request in this mode'),
    chat_template_kwargs: z.record(z.string(), z.union([z.boolean(), z.string(), z.number()])).default({}),
    reasoning: z.boolean().default(false).describe('the response carries reasoning that is kept but not scored'),
  })
  .strict();
export type ModelMode = z.infer<typeof ModelMode>;

/** configs/models/<model>/model.yaml: one model and how to serve it. */
export const ModelConfig = z
  .object({
    $schema: z.string().optional(),
    description: z.string().optional(),
    hf_id: z.string().regex(/^[\w.-]+\/[\w.-]+$/, 'a Hugging Face id "org/name"'),
    revision: PinnedRevision,
    family: z.enum(['qwen3', 'qwen2.5', 'qwen', 'other']),
    chat_format: z
      .enum(['chatml', 'qwen3-chatml', 'qwen-chatml'])
      .describe('chatml: the tokenizer template; qwen-chatml: the original Qwen tokenizer needs an explicit ChatML template'),
    chat_template: z.string().optional().describe('path (relative to the workspace) of a Jinja chat template passed to vLLM'),
    trust_remote_code: z.boolean().default(false),
    tokenizer_mode: z.enum(['auto', 'slow']).default('auto'),
    architecture: Architecture,
    modes: z.record(z.string().regex(/^[a-z0-9-]+$/), ModelMode).refine((m) => Object.keys(m).length > 0, 'at least one mode'),
    default_mode: z.string(),
    english_only: z
      .object({ supported: z.boolean(), tokenizer: z.enum(['qwen3']).optional() })
      .strict()
      .default({ supported: false })
      .describe('whether the English-only token filter can be applied to this model'),
    vllm_args: z
      .record(z.string(), z.union([z.string(), z.number(), z.boolean()]))
      .default({})
      .describe('extra `vllm serve` flags (without leading --, snake or kebab case); checked against the flags vLLM accepts'),
    endpoint: z.string().url().optional().describe('an existing OpenAI-compatible server; evalgraph never starts or stops it'),
    api_key_env: z.string().regex(/^[A-Z_][A-Z0-9_]*$/).optional().describe('name of the env var holding the endpoint API key (never the key itself)'),
  })
  .strict()
  .superRefine((m, ctx) => {
    if (!(m.default_mode in m.modes)) {
      ctx.addIssue({ code: 'custom', path: ['default_mode'], message: `one of the modes (${Object.keys(m.modes).join(', ')})` });
    }
  });
export type ModelConfig = z.infer<typeof ModelConfig>;
