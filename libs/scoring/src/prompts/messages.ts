import type { ChatMessage } from '@evalgraph/core';

/**
 * One prompt turn as lm-evaluation-harness builds it (lm_eval/api/utils.py `Message`): the chat
 * content plus the delimiter appended only when the turns are flattened into a raw completion.
 */
export interface PromptTurn {
  role: ChatMessage['role'];
  content: string;
  /** Appended in completion rendering only (target delimiter after a question, few-shot delimiter after an answer). */
  delimiter: string;
}

/** A question/answer example (few-shot) or the evaluated question (answer undefined). */
export interface QaTurn {
  question: string;
  answer?: string;
}

/** How a prompt is laid out: the harness's system text, target delimiter and few-shot delimiter. */
export interface PromptLayout {
  system?: string;
  targetDelimiter: string;
  fewshotDelimiter: string;
}

/**
 * Builds the turns of a few-shot prompt exactly as the harness's `fewshot_context`/`build_qa_turn`
 * do (no gen_prefix): user turns carry the target delimiter when an answer follows, answers carry
 * the few-shot delimiter, the evaluated question carries none.
 */
export function buildQaTurns(examples: readonly QaTurn[], question: string, layout: PromptLayout): PromptTurn[] {
  const turns: PromptTurn[] = [];
  if (layout.system) turns.push({ role: 'system', content: layout.system, delimiter: '' });
  for (const ex of examples) {
    const hasAnswer = ex.answer !== undefined && ex.answer !== '';
    turns.push({ role: 'user', content: ex.question, delimiter: hasAnswer ? layout.targetDelimiter : '' });
    if (hasAnswer) turns.push({ role: 'assistant', content: ex.answer as string, delimiter: layout.fewshotDelimiter });
  }
  turns.push({ role: 'user', content: question, delimiter: '' });
  return turns;
}

/** Raw-completion text of the turns (the harness's `"".join(m.to_text() for m in messages)`). */
export function turnsToText(turns: readonly PromptTurn[]): string {
  return turns.map((t) => t.content + t.delimiter).join('');
}

/** Chat messages of the turns, one message per turn (the harness's fewshot_as_multiturn). */
export function turnsToMessages(turns: readonly PromptTurn[]): ChatMessage[] {
  return turns.map((t) => ({ role: t.role, content: t.content }));
}

/**
 * Chat messages with every turn but the system one collapsed into a single user message
 * (the harness's `multiturn_to_singleturn`, used when few-shot is not multi-turn).
 */
export function turnsToSingleTurn(turns: readonly PromptTurn[]): ChatMessage[] {
  const system = turns[0]?.role === 'system' ? turns[0] : undefined;
  const rest = system ? turns.slice(1) : [...turns];
  const body = rest.map((t, i) => t.content + (i === rest.length - 1 ? '' : t.delimiter)).join('');
  const user: ChatMessage = { role: 'user', content: body };
  return system ? [{ role: 'system', content: system.content }, user] : [user];
}
