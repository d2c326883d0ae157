import { z } from 'zod';
import { PinnedRevision, Sha256 } from './common';
import { PluginRef, builtinOrPlugin } from './plugin-ref';

/** One pinned source file of a dataset. */
export const SourceFile = z
  .object({
    path: z.string().min(1).describe('path inside the source repository'),
    sha256: Sha256,
    mirror_path: z.string().min(1).describe('path of the same file inside a local mirror (EVALGRAPH_DATA_MIRROR)'),
    role: z.string().default('data').describe('what the loader uses it for: data, labels, fewshot, judge_prompts, reference, ...'),
  })
  .strict();

/** A zip archive in the source repository that holds the files (their `path` is then the path inside the archive). */
export const SourceArchive = z
  .object({
    path: z.string().min(1).describe('path of the .zip inside the source repository'),
    sha256: Sha256,
  })
  .strict();

export const DatasetSource = z
  .object({
    kind: z.enum(['github', 'huggingface', 'url']),
    repo: z.string().min(1).describe('"org/name" for github and huggingface; a base URL for url'),
    revision: PinnedRevision,
    archive: SourceArchive.optional().describe('download this zip once and read the files from it (each still checked against its own sha256)'),
    files: z.array(SourceFile).min(1),
    license: z.string().min(1),
    homepage: z.string().optional(),
  })
  .strict();
export type DatasetSource = z.infer<typeof DatasetSource>;

export const PromptSpec = z
  .object({
    style: z.enum(['chat', 'completion']).default('chat'),
    fewshot: z.number().int().min(0).max(64).default(0),
    template: z.string().optional().describe('named prompt template of the scorer (default: the reference one)'),
    system: z.string().optional(),
  })
  .strict();

/** The scorers built into libs/scoring (registered through the same plugin API as external ones). */
export const ScorerName = z.enum([
  'exact-match',
  'numeric',
  'gsm8k',
  'math',
  'code-humaneval',
  'code-mbpp',
  'code-evalplus',
  'multiple-choice',
  'ifeval',
  'mt-bench',
]);
export type ScorerName = z.infer<typeof ScorerName>;

/** Whether `scorer` names a built-in scorer rather than a plugin. */
export const isBuiltinScorer = (scorer: string): scorer is ScorerName => (ScorerName.options as readonly string[]).includes(scorer);

/** A built-in scorer's name, or a plugin that exports a scorer (see PluginRef). */
export const ScorerRef = builtinOrPlugin(ScorerName, 'scorer').describe(`a built-in scorer (${ScorerName.options.join(', ')}) or a plugin: ./tools/plugins/<name> or an npm package name`);
export type ScorerRef = z.infer<typeof ScorerRef>;

/** Whether a scorer executes model-written code (in the sandbox unless a dataset allows otherwise); plugins do not. */
export const isCodeScorer = (scorer: ScorerRef): boolean => isBuiltinScorer(scorer) && scorer.startsWith('code-');

/** configs/datasets/<dataset>/dataset.yaml. */
export const DatasetConfig = z
  .object({
    $schema: z.string().optional(),
    description: z.string().optional(),
    source: DatasetSource,
    format: z
      .union([z.string().regex(/^[a-z0-9-]+$/), PluginRef])
      .describe('normalizer in libs/datasets (or a plugin that exports a format) that turns the source into canonical JSONL'),
    split: z.string().min(1),
    expected_records: z.number().int().positive().describe('records after normalization; prepare fails on a mismatch'),
    scorer: ScorerRef,
    scorer_options: z.record(z.string(), z.unknown()).default({}),
    mode: z.enum(['generate', 'loglikelihood']).default('generate'),
    prompt: PromptSpec.default({ style: 'chat', fewshot: 0 }),
    max_tokens: z.number().int().min(1).max(262_144).optional().describe('output token cap (default: the mode’s)'),
    stop: z.array(z.string()).max(16).optional(),
    samples_per_task: z.number().int().min(1).max(200).default(1).describe('n generations per task, for pass@k'),
    strip_thinking: z
      .union([z.literal('auto'), z.boolean()])
      .default('auto')
      .describe('score only the text after the last </think> (lm-evaluation-harness think_end_token); auto: on for model modes with reasoning: true'),
    mirror: z.string().optional().describe('local directory laid out like shared/datasets (overridden by EVALGRAPH_DATA_MIRROR)'),
  })
  .strict();
export type DatasetConfig = z.infer<typeof DatasetConfig>;
