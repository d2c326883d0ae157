import { ConfigError, type DatasetRecord } from '@evalgraph/core';
import type { ScoringContext } from '../types';

/** evalplus codegen.py instruction_prefix (its OpenAI chat provider sends `prefix + "\n```python\n" + prompt.strip() + "\n```"`). */
export const EVALPLUS_INSTRUCTION = 'Please provide a self-contained Python script that solves the following problem in a markdown code block:';

/** The chat message evalplus sends for a task prompt (HumanEval, HumanEval+, MBPP+). */
export function evalplusChatPrompt(taskPrompt: string): string {
  return `${EVALPLUS_INSTRUCTION}\n\`\`\`python\n${taskPrompt.trim()}\n\`\`\``;
}

/** lm-evaluation-harness humaneval.yaml `until` (completion style). */
export const HUMANEVAL_STOP = ['\nclass', '\ndef', '\n#', '\nif', '\nprint'];

/** evalplus provider/utility.py EOS + extra_eos_for_direct_completion (completion style). */
const EVALPLUS_EOS = ['<|endoftext|>', '<|endofmask|>', '</s>', '\nif __name__', '\ndef main(', '\nprint('];
export const EVALPLUS_STOP = {
  humaneval: [...EVALPLUS_EOS, '\ndef ', '\nclass ', '\nimport ', '\nfrom ', '\nassert '],
  mbpp: [...EVALPLUS_EOS, '\n"""', '\nassert'],
} as const;

/** lm-evaluation-harness mbpp.yaml `until`. */
export const MBPP_STOP = ['[DONE]'];

/** lm-evaluation-harness mbpp.yaml doc_to_text. */
export function mbppQuestion(text: string, tests: readonly string[]): string {
  return `You are an expert Python programmer, and here is your task: ${text} Your code should pass these tests:\n\n${tests[0] ?? ''}\n${tests[1] ?? ''}\n${tests[2] ?? ''}\n[BEGIN]\n`;
}

/** lm-evaluation-harness mbpp.yaml doc_to_target of a few-shot example. */
export function mbppFewshotAnswer(code: string): string {
  return `${code}\n[DONE]`;
}

export interface MbppExample {
  task_id: number;
  text: string;
  code: string;
  test_list: string[];
}

/** lm-evaluation-harness mbpp/utils.py list_fewshot_samples(): MBPP tasks 2, 3 and 4, used when no pool is given. */
export const MBPP_FEWSHOT: readonly MbppExample[] = [
  {
    task_id: 2,
    text: 'Write a function to find the similar elements from the given two tuple lists.',
    code: 'def similar_elements(test_tup1, test_tup2):\r\n  res = tuple(set(test_tup1) & set(test_tup2))\r\n  return (res) ',
    test_list: [
      'assert similar_elements((3, 4, 5, 6),(5, 7, 4, 10)) == (4, 5)',
      'assert similar_elements((1, 2, 3, 4),(5, 4, 3, 7)) == (3, 4)',
      'assert similar_elements((11, 12, 14, 13),(17, 15, 14, 13)) == (13, 14)',
    ],
  },
  {
    task_id: 3,
    text: 'Write a python function to identify non-prime numbers.',
    code: 'import math\r\ndef is_not_prime(n):\r\n    result = False\r\n    for i in range(2,int(math.sqrt(n)) + 1):\r\n        if n % i == 0:\r\n            result = True\r\n    return result',
    test_list: ['assert is_not_prime(2) == False', 'assert is_not_prime(10) == True', 'assert is_not_prime(35) == True'],
  },
  {
    task_id: 4,
    text: 'Write a function to find the largest integers from a given list of numbers using heap queue algorithm.',
    code: 'import heapq as hq\r\ndef heap_queue_largest(nums,n):\r\n  largest_nums = hq.nlargest(n, nums)\r\n  return largest_nums',
    test_list: [
      'assert heap_queue_largest( [25, 35, 22, 85, 14, 65, 75, 22, 58],3)==[85, 75, 65] ',
      'assert heap_queue_largest( [25, 35, 22, 85, 14, 65, 75, 22, 58],2)==[85, 75] ',
      'assert heap_queue_largest( [25, 35, 22, 85, 14, 65, 75, 22, 58],5)==[85, 75, 65, 58, 35]',
    ],
  },
];

function exampleFromRecord(r: DatasetRecord): MbppExample | null {
  const { code, test_list: tests } = r.metadata;
  if (typeof code !== 'string' || !Array.isArray(tests) || !tests.every((t) => typeof t === 'string')) return null;
  return { task_id: Number(r.metadata.task_id ?? r.id), text: r.input, code, test_list: tests };
}

/** The first `prompt.fewshot` MBPP examples: from the cell's few-shot pool (tasks 2–4), else the harness's built-in copy. */
export function mbppExamples(ctx: ScoringContext): MbppExample[] {
  const k = ctx.datasetConfig.prompt.fewshot;
  if (k === 0) return [];
  const fromPool = (ctx.fewshotPool ?? []).map(exampleFromRecord).filter((e): e is MbppExample => e !== null);
  const pool = fromPool.length > 0 ? fromPool : [...MBPP_FEWSHOT];
  if (k > pool.length) {
    throw new ConfigError([{ file: `configs/datasets/${ctx.dataset}/dataset.yaml`, field: 'prompt.fewshot', expected: `at most ${pool.length} (the MBPP prompt examples)`, found: String(k) }]);
  }
  return pool.slice(0, k);
}

/** A function with the entry point's name that fails every test (the dummy backend's wrong answer). */
export function wrongFunction(entryPoint: string): string {
  return `def ${entryPoint}(*args, **kwargs):\n    raise NotImplementedError("known wrong answer")\n    return None\n`;
}

/** A fenced Python block, as a chat model would answer. */
export function fenced(code: string): string {
  return `\`\`\`python\n${code.replace(/\s+$/, '')}\n\`\`\``;
}
