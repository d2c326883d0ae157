import type { Normalizer } from './types';
import { fileByRole, jsonLines, str } from './source-text';

interface ReferenceAnswer {
  question_id: number;
  choices: { turns: string[] }[];
}

/**
 * MT-Bench (FastChat llm_judge data): question.jsonl with GPT-4's reference answers (the ones
 * FastChat's judge uses for math, reasoning and coding) merged in, and judge_prompts.jsonl passed on.
 */
export const mtBench: Normalizer = (input) => {
  const questions = fileByRole(input, 'data');
  const refs = jsonLines<ReferenceAnswer>(fileByRole(input, 'reference'));
  const judgePrompts = jsonLines(fileByRole(input, 'judge_prompts'));
  const refById = new Map(refs.map((r) => [r.question_id, r.choices[0]?.turns]));
  const records = jsonLines(questions).map((row, i) => {
    const where = `${questions.path}:${i + 1}`;
    const turns = row.turns;
    if (!Array.isArray(turns) || turns.length === 0 || !turns.every((t) => typeof t === 'string')) throw new Error(`${where}: turns is not a non-empty list of strings`);
    if (typeof row.question_id !== 'number') throw new Error(`${where}: question_id is not a number`);
    const reference = refById.get(row.question_id);
    return {
      id: String(row.question_id),
      input: turns[0] as string,
      metadata: { category: str(row, 'category', where), turns, ...(reference ? { reference } : {}) },
    };
  });
  return { records, aux: { judge_prompts: judgePrompts } };
};
