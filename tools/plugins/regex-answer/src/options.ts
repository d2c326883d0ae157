import { z } from 'zod';

/** scorer_options of regex-answer (Python regex syntax, as lm-evaluation-harness task YAML writes them). */
export const RegexAnswerOptions = z
  .object({
    pattern: z.string().min(1).describe('Python regex; the answer is its first non-empty group (or the whole match)'),
    group_select: z.number().int().default(0).describe('which match to take: 0 the first, -1 the last'),
    ignore_case: z.boolean().default(false),
    ignore_chars: z.string().default('').describe('characters removed from both answer and target before comparing, e.g. ",$"'),
    instruction: z.string().optional().describe('appended to every question on its own line, e.g. how to state the answer'),
    oracle_template: z.string().default('{target}').describe("what the in-process dummy backend answers when right ('{target}' is replaced)"),
  })
  .strict();
export type RegexAnswerOptions = z.infer<typeof RegexAnswerOptions>;
