import type { Normalizer } from './types';
import { fileByRole, jsonLines, str } from './source-text';
import { pyStrip } from './python-text';

/** The gold number of a GSM8K answer: the text after "####", commas removed (as the harness compares it). */
export function gsm8kTarget(answer: string): string {
  const parts = answer.split('####');
  if (parts.length < 2) throw new Error(`GSM8K answer has no "####" line: ${JSON.stringify(answer.slice(-80))}`);
  return pyStrip(parts[parts.length - 1]).replaceAll(',', '');
}

/** GSM8K (openai/grade-school-math JSONL: question, answer). */
export const gsm8k: Normalizer = (input) => {
  const file = fileByRole(input, 'data');
  const records = jsonLines(file).map((row, i) => {
    const where = `${file.path}:${i + 1}`;
    const answer = str(row, 'answer', where);
    return { id: `gsm8k-${input.split}-${i}`, input: str(row, 'question', where), target: gsm8kTarget(answer), metadata: { solution: answer } };
  });
  return { records };
};
