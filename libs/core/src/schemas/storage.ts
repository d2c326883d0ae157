import { z } from 'zod';

/**
 * configs/storage.yaml: where what outlives a session lives. Absent means `kind: workspace` (everything under the
 * workspace: .evalgraph/ and Nx's .nx/cache).
 */
export const StorageConfig = z.discriminatedUnion('kind', [
  z
    .object({
      $schema: z.string().optional(),
      kind: z.literal('workspace'),
    })
    .strict(),
  z
    .object({
      $schema: z.string().optional(),
      kind: z.literal('path'),
      path: z
        .string()
        .min(1)
        .refine((p) => p.startsWith('/'), 'an absolute path (a persistent volume or shared filesystem mounted on every machine)')
        .describe('absolute path of a persistent volume or shared filesystem'),
      model_caches: z.boolean().default(true).describe('keep HF_HOME and VLLM_CACHE_ROOT (per model and mode) under the path'),
    })
    .strict(),
  z
    .object({
      $schema: z.string().optional(),
      kind: z.literal('remote-cache'),
      url: z.string().url().describe('an Nx self-hosted remote cache, e.g. `npx evalgraph remote-cache serve`'),
    })
    .strict(),
]);
export type StorageConfig = z.infer<typeof StorageConfig>;
