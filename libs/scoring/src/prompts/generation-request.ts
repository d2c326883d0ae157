import type { ChatMessage, EvalRequest, Oracle } from '@evalgraph/core';
import type { ScoringContext } from '../types';
import { type PromptTurn, turnsToMessages, turnsToSingleTurn, turnsToText } from './messages';
import { renderRequest } from './render';

/** What a generative scorer decides about one record's requests. */
export interface GenerationPrompt {
  turns: PromptTurn[];
  /** Default stop sequences (the reference task's `until`); the dataset config's `stop` replaces them. */
  stop?: string[];
  oracle?: Oracle;
  /** Few-shot turns as separate chat messages (default) or collapsed into one user message. */
  multiturn?: boolean;
}

/** The generation requests of one record and their rendered prompt. */
export interface GenerationRequests {
  requests: EvalRequest[];
  renderedPrompt: string;
}

/** The system prompt of the dataset config, if any; prepended to the turns the scorer built. */
export function withConfigSystem(turns: PromptTurn[], ctx: ScoringContext): PromptTurn[] {
  const system = ctx.datasetConfig.prompt.system;
  if (!system || turns[0]?.role === 'system') return turns;
  return [{ role: 'system', content: system, delimiter: '' }, ...turns];
}

/**
 * Builds one request per generation (n = samples per task, sample_index 0..n-1) in the style the
 * dataset config asks for: chat messages or a raw completion prompt.
 */
export function buildGenerationRequests(prompt: GenerationPrompt, ctx: ScoringContext): GenerationRequests {
  const turns = withConfigSystem(prompt.turns, ctx);
  const stop = ctx.datasetConfig.stop ?? prompt.stop;
  const common = { max_tokens: ctx.maxTokens, ...(stop && stop.length > 0 ? { stop } : {}), ...(prompt.oracle ? { oracle: prompt.oracle } : {}) };
  const n = Math.max(1, ctx.samplesPerTask);
  let first: EvalRequest;
  if (ctx.datasetConfig.prompt.style === 'completion') {
    first = { kind: 'completion', prompt: turnsToText(turns), sample_index: 0, ...common };
  } else {
    const messages: ChatMessage[] = prompt.multiturn === false ? turnsToSingleTurn(turns) : turnsToMessages(turns);
    first = { kind: 'chat', messages, sample_index: 0, ...common };
  }
  const requests = Array.from({ length: n }, (_, i) => ({ ...first, sample_index: i }));
  return { requests, renderedPrompt: renderRequest(first) };
}
