import { z } from 'zod';

/** Options of `nx g @evalgraph/plugin:pipeline` (mirrors schema.json, which the Nx CLI checks first). */
export const PipelineGeneratorOptions = z.object({
  name: z.string().describe('folder under pipelines and Nx project pipeline-<name>'),
  models: z.union([z.string(), z.array(z.string())]).describe('models under configs/models, comma-separated'),
  datasets: z.union([z.string(), z.array(z.string())]).describe('datasets under configs/datasets, comma-separated'),
  backend: z.enum(['vllm', 'endpoint', 'dummy']).default('vllm'),
  gpu: z.string().default('h100-80gb'),
  preset: z.string().default('balanced'),
  sampleLimit: z.number().int().min(1).optional(),
  skipFormat: z.boolean().default(false),
});
export type PipelineGeneratorOptions = z.input<typeof PipelineGeneratorOptions>;
