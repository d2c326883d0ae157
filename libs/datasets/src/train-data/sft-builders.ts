import type { SftExample, SftFormat } from '@evalgraph/core';
import type { SourceText } from '../formats/types';
import { jsonLines, str } from '../formats/source-text';
import { gsm8kTarget } from '../formats/gsm8k';
import { MBPP_TEST_IDS } from '../formats/mbpp';

/** What a builder gets: the source's name, the split it takes and its verified files. */
export interface SftInput {
  source: string;
  split: string;
  files: SourceText[];
}

/** Turns one source's files into chat examples (without the system message). Pure. */
export type SftBuilder = (input: SftInput) => SftExample[];

/** A builder's split that does not exist; the message names the splits that do. */
export class UnknownSplitError extends Error {
  constructor(readonly known: string[]) {
    super(`one of ${known.join(', ')}`);
  }
}

/**
 * GSM8K train rows: question → worked solution. The calculator annotations (`<<48/2=24>>`) go, and the `#### N`
 * line becomes "The answer is N.", the sentence lm-evaluation-harness gsm8k_cot's strict-match looks for.
 */
const gsm8k: SftBuilder = ({ source, files }) =>
  files.flatMap((file) =>
    jsonLines(file).map((row, i) => {
      const where = `${file.path}:${i + 1}`;
      const answer = str(row, 'answer', where);
      const body = answer.slice(0, answer.lastIndexOf('####')).replace(/<<[^>]*>>/g, '').trim();
      return {
        id: `${source}/${i}`,
        source,
        messages: [
          { role: 'user' as const, content: str(row, 'question', where) },
          { role: 'assistant' as const, content: `${body}\nThe answer is ${gsm8kTarget(answer)}.` },
        ],
      };
    }),
  );

/** MBPP's splits by task_id (Austin et al., 2021; the harness and HF `mbpp` use the same ranges). */
const MBPP_SPLITS: Record<string, [number, number]> = { prompt: [1, 10], test: [MBPP_TEST_IDS.first, MBPP_TEST_IDS.last], validation: [511, 600], train: [601, 974] };

/** MBPP rows: the harness's task prompt with its tests → the reference code. */
const mbpp: SftBuilder = ({ source, split, files }) => {
  const range = MBPP_SPLITS[split];
  if (!range) throw new UnknownSplitError(Object.keys(MBPP_SPLITS));
  return files.flatMap((file) =>
    jsonLines(file)
      .map((row, i) => ({ row, where: `${file.path}:${i + 1}` }))
      .filter(({ row }) => typeof row.task_id === 'number' && row.task_id >= range[0] && row.task_id <= range[1])
      .map(({ row, where }) => {
        const tests = Array.isArray(row.test_list) ? row.test_list.filter((t): t is string => typeof t === 'string') : [];
        return {
          id: `${source}/${String(row.task_id)}`,
          source,
          messages: [
            { role: 'user' as const, content: `You are an expert Python programmer, and here is your task: ${str(row, 'text', where)} Your code should pass these tests:\n\n${tests.join('\n')}` },
            { role: 'assistant' as const, content: str(row, 'code', where).replace(/\r\n/g, '\n') },
          ],
        };
      }),
  );
};

/** Builders by `format` of a train-data source. */
export const SFT_BUILDERS: Record<SftFormat, SftBuilder> = { gsm8k, mbpp };
/** Bumped when a builder's output changes, so prepared sets record which code made them. */
export const SFT_BUILDER_VERSION = 1;
