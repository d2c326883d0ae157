import { z } from 'zod';

/** Options of `nx g @evalgraph/plugin:model` (mirrors schema.json, which the Nx CLI checks first). */
export const ModelGeneratorOptions = z.object({
  name: z.string().describe('folder under configs/models and Nx project model-<name>'),
  from: z.string().describe('existing model whose settings are copied'),
  hfId: z.string().optional().describe('Hugging Face id "org/name" of the new model (default: the --from one)'),
  revision: z.string().optional().describe('40-hex commit to pin'),
  skipFormat: z.boolean().default(false),
});
export type ModelGeneratorOptions = z.input<typeof ModelGeneratorOptions>;
