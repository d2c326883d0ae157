import type { DatasetRecord, LoglikelihoodRequest } from '@evalgraph/core';
import { argmax, pyLen, toChoiceItem, type ChoiceItem } from './choice-item';

/** The harness's default delimiters for multiple_choice tasks. */
export const TARGET_DELIMITER = ' ';
export const FEWSHOT_DELIMITER = '\n\n';

/**
 * The few-shot prefix (harness `fewshot_context` rendered as text): each example is its question,
 * the target delimiter and its gold answer, followed by the few-shot delimiter.
 */
export function fewshotPrefix(pool: readonly DatasetRecord[], delimiter: string): string {
  return pool
    .map((r) => {
      const ex = toChoiceItem(r);
      const q = ex.contexts ? ex.contexts[ex.gold] : ex.input;
      const a = ex.contexts ? (ex.continuation as string) : ex.choices[ex.gold];
      return q + delimiter + a + FEWSHOT_DELIMITER;
    })
    .join('');
}

/**
 * One (context, continuation) pair per choice, as the harness's construct_requests: the shared
 * context with " " + choice, or for multiple-input tasks each choice's context with " " + the
 * shared continuation.
 */
export function choicePairs(item: ChoiceItem, prefix: string, delimiter: string): { context: string; continuation: string }[] {
  if (item.contexts) return item.contexts.map((c) => ({ context: prefix + c, continuation: delimiter + (item.continuation as string) }));
  return item.choices.map((c) => ({ context: prefix + item.input, continuation: delimiter + c }));
}

/**
 * Log-likelihood requests of one item. Every request carries the same oracle: gold_index, and as
 * `answer` the full text (context + continuation) of the gold request, so a dummy backend can tell
 * which of a sample's requests is the gold one.
 */
export function loglikelihoodRequests(item: ChoiceItem, prefix: string, delimiter: string): LoglikelihoodRequest[] {
  const pairs = choicePairs(item, prefix, delimiter);
  const gold = item.labels ? Math.max(0, item.labels.indexOf(1)) : item.gold;
  const goldText = pairs[gold].context + pairs[gold].continuation;
  return pairs.map((p) => ({ kind: 'loglikelihood', context: p.context, continuation: p.continuation, sample_index: 0, oracle: { gold_index: gold, answer: goldText } }));
}

/** What the harness's process_results computes for one multiple_choice doc. */
export interface ChoiceVerdict {
  pred: number;
  predNorm: number;
  acc: number;
  accNorm: number;
}

/**
 * acc = argmax(lls) == gold; acc_norm = argmax(lls / len(choice)) == gold, the length in
 * characters of doc_to_choice (for multiple-input tasks doc_to_choice is the contexts).
 */
export function choiceVerdict(item: ChoiceItem, lls: readonly number[]): ChoiceVerdict {
  const lengths = (item.contexts ?? item.choices).map(pyLen);
  const pred = argmax(lls);
  const predNorm = argmax(lls.map((ll, i) => ll / lengths[i]));
  return { pred, predNorm, acc: pred === item.gold ? 1 : 0, accNorm: predNorm === item.gold ? 1 : 0 };
}

/**
 * TruthfulQA MC2 (lm_eval/tasks/truthfulqa/utils.py process_results_mc2): the probability mass of
 * the true answers after normalizing exp(ll) over all answers. Computed with the maximum
 * subtracted first, which is the same quantity but cannot underflow to 0/0 as exp(ll) can.
 */
export function mc2TrueMass(lls: readonly number[], labels: readonly number[]): number {
  const m = Math.max(...lls);
  const p = lls.map((ll) => Math.exp(ll - m));
  const total = p.reduce((a, b) => a + b, 0);
  return p.reduce((acc, v, i) => acc + (labels[i] === 1 ? v : 0), 0) / total;
}

/** The prompt stored in samples.jsonl: the context(s) and every continuation. */
export function renderChoicePrompt(requests: readonly LoglikelihoodRequest[]): string {
  const shared = requests.every((r) => r.context === requests[0].context);
  if (shared) return `${requests[0].context}\n\n${requests.map((r, i) => `[choice ${i}] ${JSON.stringify(r.continuation)}`).join('\n')}`;
  return requests.map((r, i) => `[choice ${i}] ${r.context}${r.continuation}`).join('\n\n');
}
