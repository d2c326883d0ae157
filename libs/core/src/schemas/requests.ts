import { z } from 'zod';

export const ChatMessage = z.object({
  role: z.enum(['system', 'user', 'assistant']),
  content: z.string(),
});
export type ChatMessage = z.infer<typeof ChatMessage>;

/**
 * What a dummy backend may use to answer like a model that is sometimes right.
 * Never sent to a server and never part of a request-cache key.
 */
export const Oracle = z.object({
  answer: z.string().optional().describe('a response text that scores as correct'),
  wrong: z.string().optional().describe('a response text that scores as wrong'),
  gold_index: z.number().int().optional().describe('for log-likelihood: the continuation that is gold'),
});
export type Oracle = z.infer<typeof Oracle>;

const base = {
  /** Distinguishes the n generations of one task for pass@k; part of the cache key. */
  sample_index: z.number().int().min(0).default(0),
  oracle: Oracle.optional(),
};

export const ChatRequest = z.object({
  kind: z.literal('chat'),
  messages: z.array(ChatMessage).min(1),
  max_tokens: z.number().int().positive().optional(),
  stop: z.array(z.string()).optional(),
  ...base,
});
export const CompletionRequest = z.object({
  kind: z.literal('completion'),
  prompt: z.string(),
  max_tokens: z.number().int().positive().optional(),
  stop: z.array(z.string()).optional(),
  ...base,
});
/** Log-probability of `continuation` given `context` (via /v1/completions echo+logprobs). */
export const LoglikelihoodRequest = z.object({
  kind: z.literal('loglikelihood'),
  context: z.string(),
  continuation: z.string(),
  ...base,
});
export const EvalRequest = z.discriminatedUnion('kind', [ChatRequest, CompletionRequest, LoglikelihoodRequest]);
export type ChatRequest = z.infer<typeof ChatRequest>;
export type CompletionRequest = z.infer<typeof CompletionRequest>;
export type LoglikelihoodRequest = z.infer<typeof LoglikelihoodRequest>;
export type EvalRequest = z.infer<typeof EvalRequest>;

export const GenerateResponse = z.object({
  kind: z.literal('generate'),
  text: z.string(),
  reasoning: z.string().optional().describe('reasoning_content / reasoning / <think> text: kept, never scored'),
  finish_reason: z.string().describe('"stop", "length", ...'),
  prompt_tokens: z.number().int().min(0),
  completion_tokens: z.number().int().min(0),
  latency_ms: z.number().min(0),
  cached: z.boolean().describe('served from the request cache, not sent'),
});
export const LoglikelihoodResponse = z.object({
  kind: z.literal('loglikelihood'),
  logprob: z.number(),
  is_greedy: z.boolean(),
  continuation_tokens: z.number().int().min(0),
  latency_ms: z.number().min(0),
  cached: z.boolean(),
});
export const ErrorResponse = z.object({
  kind: z.literal('error'),
  error: z.string(),
  status: z.number().int().optional(),
  latency_ms: z.number().min(0),
});
export const EvalResponse = z.discriminatedUnion('kind', [GenerateResponse, LoglikelihoodResponse, ErrorResponse]);
export type GenerateResponse = z.infer<typeof GenerateResponse>;
export type LoglikelihoodResponse = z.infer<typeof LoglikelihoodResponse>;
export type ErrorResponse = z.infer<typeof ErrorResponse>;
export type EvalResponse = z.infer<typeof EvalResponse>;
