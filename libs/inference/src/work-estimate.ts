import type { EvalRequest } from '@evalgraph/core';

/**
 * Rough GPU work of one request in tokens, with the projection's token model (bench/items/projection.ts): 4
 * characters a prompt token; a log-likelihood request generates 1 token, a generation about half its max_tokens
 * (at least 64). Used only to order waiting cells, largest first, so the longest cells do not start last.
 */
export function requestWorkTokens(r: EvalRequest, defaultMaxTokens: number): number {
  if (r.kind === 'loglikelihood') return Math.ceil((r.context.length + r.continuation.length) / 4) + 1;
  const text = r.kind === 'chat' ? r.messages.reduce((n, m) => n + m.content.length + 1, 0) : r.prompt.length;
  return Math.ceil(text / 4) + Math.max(64, Math.round((r.max_tokens ?? defaultMaxTokens) / 2));
}
