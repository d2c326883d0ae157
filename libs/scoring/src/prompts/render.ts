import type { ChatMessage, EvalRequest } from '@evalgraph/core';

/**
 * Renders chat messages as role-tagged text for samples.jsonl. The tags are not a model's chat
 * template (the server applies that); they only make the stored prompt readable and unambiguous.
 */
export function renderMessages(messages: readonly ChatMessage[]): string {
  return messages.map((m) => `<|${m.role}|>\n${m.content}`).join('\n');
}

/** Human-readable prompt of one request: role-tagged chat, the raw completion prompt, or context + continuation. */
export function renderRequest(request: EvalRequest): string {
  switch (request.kind) {
    case 'chat':
      return renderMessages(request.messages);
    case 'completion':
      return request.prompt;
    case 'loglikelihood':
      return request.context + request.continuation;
  }
}
