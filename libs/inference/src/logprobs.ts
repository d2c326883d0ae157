/** The `logprobs` object of an OpenAI /v1/completions choice (vLLM's layout). */
export interface CompletionLogprobs {
  tokens: string[];
  token_logprobs: (number | null)[];
  top_logprobs: (Record<string, number> | null)[] | null;
  text_offset: number[];
}

/** A continuation's log-probability, as lm-evaluation-harness reports it. */
export interface ContinuationScore {
  logprob: number;
  isGreedy: boolean;
  tokens: number;
}

/** Length in Unicode code points: vLLM's text_offset counts Python str characters, not UTF-16 units. */
export function codePointLength(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

/**
 * Sum of the continuation's token logprobs and whether each was the top-1 token, from an echo=true response
 * for prompt = context + continuation.
 *
 * Follows lm-evaluation-harness lm_eval/models/openai_completions.py `LocalCompletionsAPI.parse_logprobs`
 * (commit 4e7e0d47, lines 99-122): sum token_logprobs[ctxlen:-1], greedy iff every continuation token's
 * logprob equals the max of its top_logprobs. lm-eval knows ctxlen because it sends token ids; here the prompt
 * is text, so the continuation tokens are found by text_offset: tokens that end after the context and start
 * before the end of the prompt (dropping the generated token the same way as `[:-1]`). A token that straddles
 * the context/continuation boundary counts as continuation.
 */
export function continuationScore(lp: CompletionLogprobs, context: string, continuation: string): ContinuationScore {
  const ctxEnd = codePointLength(context);
  const promptEnd = ctxEnd + codePointLength(continuation);
  let sum = 0;
  let greedy = true;
  let count = 0;
  for (let i = 0; i < lp.tokens.length; i++) {
    const start = lp.text_offset[i];
    const end = start + codePointLength(lp.tokens[i]);
    if (start >= promptEnd) break;
    if (end <= ctxEnd) continue;
    const v = lp.token_logprobs[i];
    if (v === null || v === undefined) {
      throw new Error('the continuation starts at the first prompt token, which has no logprob; an empty context cannot be scored');
    }
    sum += v;
    count++;
    const top = lp.top_logprobs?.[i];
    if (greedy && top && Object.keys(top).length > 0 && v !== Math.max(...Object.values(top))) greedy = false;
  }
  if (count === 0) throw new Error(`no continuation tokens found in the echoed prompt (context ${ctxEnd} chars, continuation ${promptEnd - ctxEnd})`);
  return { logprob: sum, isGreedy: greedy, tokens: count };
}
