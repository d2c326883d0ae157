import type { EvalRequest, ModelMode } from '@evalgraph/core';

/** What a request body is built from besides the request itself. */
export interface BodyContext {
  /** The `model` field: the served model name. */
  servedModel: string;
  mode: ModelMode;
  /** Output-token cap when the request sets none (the mode's or the cell's max_tokens). */
  maxTokens: number;
  /** Base seed; each generation uses seed + sample_index so the n samples of pass@k differ reproducibly. */
  seed?: number;
  /** Extra fields that switch the English-only filter on (allowed_token_ids or vllm_xargs). */
  englishFields?: Record<string, unknown>;
}

/** An OpenAI-compatible request, ready to send. */
export interface RequestBody {
  endpoint: 'chat' | 'completion';
  body: Record<string, unknown>;
}

/**
 * Every sampling field, explicitly: vLLM fills omitted ones from the model's generation_config, so an omitted
 * top_k would silently become the model card's value.
 */
export function samplingFields(mode: ModelMode, seed: number): Record<string, number> {
  const s = mode.sampling;
  return {
    temperature: s.temperature,
    top_p: s.top_p,
    top_k: s.top_k,
    min_p: s.min_p,
    presence_penalty: s.presence_penalty,
    frequency_penalty: 0,
    repetition_penalty: s.repetition_penalty,
    seed,
  };
}

/** The body sent for one evaluation request (the oracle never leaves the process). */
export function buildRequestBody(req: EvalRequest, ctx: BodyContext): RequestBody {
  const seed = (ctx.seed ?? ctx.mode.sampling.seed ?? 0) + req.sample_index;
  if (req.kind === 'loglikelihood') {
    // lm-evaluation-harness local-completions (_create_payload, generate=False): echo the prompt with
    // logprobs=1, temperature 0 and one generated token, then read the continuation's logprobs.
    return {
      endpoint: 'completion',
      body: { model: ctx.servedModel, prompt: req.context + req.continuation, max_tokens: 1, temperature: 0, logprobs: 1, echo: true, seed },
    };
  }
  const common = {
    model: ctx.servedModel,
    max_tokens: req.max_tokens ?? ctx.maxTokens,
    ...samplingFields(ctx.mode, seed),
    n: 1,
    ...(req.stop?.length ? { stop: req.stop } : {}),
    ...ctx.englishFields,
  };
  if (req.kind === 'completion') return { endpoint: 'completion', body: { ...common, prompt: req.prompt } };
  const kwargs = ctx.mode.chat_template_kwargs;
  return {
    endpoint: 'chat',
    body: {
      ...common,
      messages: req.messages.map((m) => ({ role: m.role, content: m.content })),
      ...(Object.keys(kwargs).length ? { chat_template_kwargs: { ...kwargs } } : {}),
    },
  };
}

/** A chat message as servers return it: reasoning may be a field (vLLM's parsers) or inline <think> text. */
export interface RawAssistantMessage {
  content?: string | null;
  reasoning_content?: string | null;
  reasoning?: string | null;
}

/**
 * Splits the answer from the reasoning: `reasoning_content` (vLLM ≤ 0.11), `reasoning` (newer vLLM), or an
 * inline `<think>...</think>` block (no reasoning parser); an unclosed think block (truncated) is all reasoning.
 */
export function splitReasoning(msg: RawAssistantMessage): { text: string; reasoning?: string } {
  const content = msg.content ?? '';
  const field = msg.reasoning_content ?? msg.reasoning;
  if (typeof field === 'string' && field.length > 0) return { text: content, reasoning: field };
  const open = content.indexOf('<think>');
  const close = content.indexOf('</think>');
  if (close >= 0 && (open < 0 || open < close)) {
    const start = open >= 0 ? open + '<think>'.length : 0;
    const before = open >= 0 ? content.slice(0, open) : '';
    return { text: (before + content.slice(close + '</think>'.length)).trim(), reasoning: content.slice(start, close).trim() };
  }
  if (open >= 0 && close < 0) return { text: content.slice(0, open).trim(), reasoning: content.slice(open + '<think>'.length).trim() };
  return { text: content };
}
