/**
 * The GSM8K task variants of lm-evaluation-harness (lm_eval/tasks/gsm8k/*.yaml, harness commit
 * 4e7e0d47f33bc71070c1d38394bafbb52b117163): prompt text, few-shot exemplars, stop sequences and
 * the strict-match filter. All share flexible-extract and the exact_match normalization.
 */

/** One harness GSM8K task variant. */
export interface Gsm8kTemplate {
  name: Gsm8kTemplateName;
  /** The harness config file it reproduces. */
  file: string;
  /** doc_to_text. */
  question(q: string): string;
  /** Fixed exemplars (fewshot_config.samples, sampler first_n); undefined: few-shot comes from the train pool. */
  exemplars?: readonly { question: string; target: string }[];
  targetDelimiter: string;
  fewshotDelimiter: string;
  /** generation_kwargs.until. */
  stop: readonly string[];
  strict: { pattern: string; groupSelect: number };
  /** A response in this variant's answer format (for the dummy backend's oracle). */
  answerIn(answer: string): string;
}

export type Gsm8kTemplateName = 'gsm8k' | 'gsm8k-cot' | 'gsm8k-cot-zeroshot' | 'gsm8k-cot-llama';

/** flexible-extract of every variant: the last number-like token. */
export const FLEXIBLE_EXTRACT = { pattern: '(-?[$0-9.,]{2,})|(-?[0-9]+)', groupSelect: -1 } as const;

/** metric_list exact_match options shared by every variant. */
export const GSM8K_EXACT_MATCH = { ignoreCase: true, ignorePunctuation: false, regexesToIgnore: [',', '\\$', '(?s).*#### ', '\\.$'] } as const;

// gsm8k-cot.yaml fewshot_config.samples (the chain-of-thought exemplars of Wei et al., 2022).
const COT_EXEMPLARS: readonly { question: string; target: string }[] = [
  {
    question: 'There are 15 trees in the grove. Grove workers will plant trees in the grove today. After they are done, there will be 21 trees. How many trees did the grove workers plant today?',
    target: 'There are 15 trees originally. Then there were 21 trees after some more were planted. So there must have been 21 - 15 = 6. The answer is 6.',
  },
  {
    question: 'If there are 3 cars in the parking lot and 2 more cars arrive, how many cars are in the parking lot?',
    target: 'There are originally 3 cars. 2 more cars arrive. 3 + 2 = 5. The answer is 5.',
  },
  {
    question: 'Leah had 32 chocolates and her sister had 42. If they ate 35, how many pieces do they have left in total?',
    target: 'Originally, Leah had 32 chocolates. Her sister had 42. So in total they had 32 + 42 = 74. After eating 35, they had 74 - 35 = 39. The answer is 39.',
  },
  {
    question: 'Jason had 20 lollipops. He gave Denny some lollipops. Now Jason has 12 lollipops. How many lollipops did Jason give to Denny?',
    target: 'Jason started with 20 lollipops. Then he had 12 after giving some to Denny. So he gave Denny 20 - 12 = 8. The answer is 8.',
  },
  {
    question: 'Shawn has five toys. For Christmas, he got two toys each from his mom and dad. How many toys does he have now?',
    target: 'Shawn started with 5 toys. If he got 2 toys each from his mom and dad, then that is 4 more toys. 5 + 4 = 9. The answer is 9.',
  },
  {
    question: 'There were nine computers in the server room. Five more computers were installed each day, from monday to thursday. How many computers are now in the server room?',
    target: 'There were originally 9 computers. For each of 4 days, 5 more computers were added. So 5 * 4 = 20 computers were added. 9 + 20 is 29. The answer is 29.',
  },
  {
    question: 'Michael had 58 golf balls. On tuesday, he lost 23 golf balls. On wednesday, he lost 2 more. How many golf balls did he have at the end of wednesday?',
    target: 'Michael started with 58 golf balls. After losing 23 on tuesday, he had 58 - 23 = 35. After losing 2 more, he had 35 - 2 = 33 golf balls. The answer is 33.',
  },
  {
    question: 'Olivia has $23. She bought five bagels for $3 each. How much money does she have left?',
    target: 'Olivia had 23 dollars. 5 bagels for 3 dollars each will be 5 x 3 = 15 dollars. So she has 23 - 15 dollars left. 23 - 15 is 8. The answer is 8.',
  },
];

// gsm8k-cot-llama.yaml: the same problems, answers ending "The final answer is N" (no period).
const LLAMA_EXEMPLARS = COT_EXEMPLARS.map((e) => ({ question: e.question, target: e.target.replace(/The answer is (\d+)\.$/, 'The final answer is $1') }));

const THE_ANSWER_IS = { pattern: 'The answer is (\\-?[0-9\\.\\,]+).', groupSelect: 0 };

/** The harness's GSM8K variants by name. */
export const GSM8K_TEMPLATES: Record<Gsm8kTemplateName, Gsm8kTemplate> = {
  // gsm8k.yaml
  gsm8k: {
    name: 'gsm8k',
    file: 'gsm8k.yaml',
    question: (q) => `Question: ${q}\nAnswer:`,
    targetDelimiter: ' ',
    fewshotDelimiter: '\n\n',
    stop: ['Question:', '</s>', '<|im_end|>'],
    strict: { pattern: '#### (\\-?[0-9\\.\\,]+)', groupSelect: 0 },
    answerIn: (a) => `The result is computed above.\n#### ${a}`,
  },
  // gsm8k-cot.yaml
  'gsm8k-cot': {
    name: 'gsm8k-cot',
    file: 'gsm8k-cot.yaml',
    question: (q) => `Q: ${q}\nA:`,
    exemplars: COT_EXEMPLARS,
    targetDelimiter: ' ',
    fewshotDelimiter: '\n\n',
    stop: ['Q:', '</s>', '<|im_end|>'],
    strict: THE_ANSWER_IS,
    answerIn: (a) => `We compute it step by step. The answer is ${a}.`,
  },
  // gsm8k-cot-zeroshot.yaml
  'gsm8k-cot-zeroshot': {
    name: 'gsm8k-cot-zeroshot',
    file: 'gsm8k-cot-zeroshot.yaml',
    question: (q) => `Q: ${q}\nA: Let's think step by step.`,
    targetDelimiter: ' ',
    fewshotDelimiter: '\n\n',
    stop: ['Q:', '</s>', '<|im_end|>'],
    strict: THE_ANSWER_IS,
    answerIn: (a) => `We compute it step by step. The answer is ${a}.`,
  },
  // gsm8k-cot-llama.yaml (the chat variant Meta published for Llama 3)
  'gsm8k-cot-llama': {
    name: 'gsm8k-cot-llama',
    file: 'gsm8k-cot-llama.yaml',
    question: (q) =>
      `Given the following problem, reason and give a final answer to the problem.\nProblem: ${q}\nYour response should end with "The final answer is [answer]" where [answer] is the response to the problem.\n`,
    exemplars: LLAMA_EXEMPLARS,
    targetDelimiter: '',
    fewshotDelimiter: '\n\n',
    stop: ['<|eot_id|>', '<|start_header_id|>user<|end_header_id|>', 'Q:', '</s>', '<|im_end|>'],
    strict: { pattern: 'The final answer is ((-?[$0-9.,]{2,})|(-?[0-9]+))', groupSelect: -1 },
    answerIn: (a) => `We compute it step by step. The final answer is ${a}`,
  },
};
