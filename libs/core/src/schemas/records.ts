import { z } from 'zod';

/** One normalized dataset record: a line of the canonical JSONL that `prepare` writes. */
export const DatasetRecord = z
  .object({
    id: z.string().min(1).describe('stable id from the source (task_id, question_id, or "<split>-<index>")'),
    input: z.string().describe('the question / problem / prompt text, before prompt formatting'),
    target: z.string().optional().describe('gold answer for generative tasks'),
    choices: z.array(z.string()).optional().describe('answer options for multiple choice'),
    gold: z.number().int().min(0).optional().describe('index of the gold choice'),
    metadata: z.record(z.string(), z.unknown()).default({}).describe('source fields the scorer needs (tests, entry_point, kwargs, ...)'),
  })
  .strict();
export type DatasetRecord = z.infer<typeof DatasetRecord>;

/** The manifest `prepare` writes next to the JSONL; its hash is what cells depend on. */
export const PreparedManifest = z
  .object({
    dataset: z.string(),
    split: z.string(),
    format: z.string(),
    records: z.number().int().min(0),
    sha256: z.string().describe('sha256 of the canonical JSONL'),
    source: z.object({ kind: z.string(), repo: z.string(), revision: z.string(), files: z.array(z.object({ path: z.string(), sha256: z.string() })) }),
    fetched_from: z.enum(['network', 'mirror', 'cache']),
    normalizer_version: z.number().int(),
  })
  .strict();
export type PreparedManifest = z.infer<typeof PreparedManifest>;
