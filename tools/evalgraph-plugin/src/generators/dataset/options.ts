import { z } from 'zod';

/** Options of `nx g @evalgraph/plugin:dataset` (mirrors schema.json, which the Nx CLI checks first). */
export const DatasetGeneratorOptions = z.object({
  name: z.string().describe('folder under configs/datasets and Nx project dataset-<name>'),
  format: z.string().describe('normalizer that turns the source into canonical JSONL'),
  scorer: z.string().optional().describe('scorer (default: the one an existing dataset of this format uses)'),
  split: z.string().optional().describe('split name recorded with the records'),
  skipFormat: z.boolean().default(false),
});
export type DatasetGeneratorOptions = z.input<typeof DatasetGeneratorOptions>;
