import { createServer, type Server } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { InferenceClient } from '../src/client';
import { continuationScore, type CompletionLogprobs } from '../src/logprobs';
import { parsePrometheus, vllmMetrics } from '../src/metrics';
import { buildRequestBody, splitReasoning } from '../src/modes';
import { parseComputeApps, parseGpuQuery } from '../src/nvidia-smi';
import { backoffDelay, withRetry } from '../src/retry';
import { NON_THINKING, THINKING } from './helpers';

describe('continuationScore (lm-evaluation-harness parse_logprobs, by text offset)', () => {
  // prompt "The cat sat on the mat" + one generated token " gen"
  const lp: CompletionLogprobs = {
    tokens: ['The', ' cat', ' sat', ' on', ' the', ' mat', ' gen'],
    token_logprobs: [null, -2.0, -1.5, -0.25, -0.5, -1.0, -3.0],
    top_logprobs: [null, { ' cat': -2.0, ' dog': -1.0 }, { ' sat': -1.5, ' ran': -2.5 }, { ' on': -0.25, ' in': -2 }, { ' the': -0.5, ' a': -1 }, { ' mat': -1.0, ' rug': -1.2 }, { ' gen': -3 }],
    text_offset: [0, 3, 7, 11, 14, 18, 22],
  };

  it('sums the continuation tokens and drops the generated one (hand-computed)', () => {
    expect(continuationScore(lp, 'The cat sat', ' on the mat')).toEqual({ logprob: -1.75, isGreedy: true, tokens: 3 });
    expect(continuationScore(lp, 'The cat', ' sat on the mat')).toEqual({ logprob: -3.25, isGreedy: true, tokens: 4 });
  });

  it('is not greedy when a continuation token was not the top-1 token', () => {
    // ' cat' (-2.0) lost to ' dog' (-1.0)
    expect(continuationScore(lp, 'The', ' cat sat')).toEqual({ logprob: -3.5, isGreedy: false, tokens: 2 });
  });

  it('counts a token straddling the context/continuation boundary as continuation', () => {
    expect(continuationScore(lp, 'The ca', 't sat').logprob).toBe(-3.5);
  });

  it('counts offsets in code points like vLLM (Python str), not UTF-16 units', () => {
    const emoji: CompletionLogprobs = { tokens: ['I😀', ' you', ' gen'], token_logprobs: [null, -1, -5], top_logprobs: null, text_offset: [0, 2, 6] };
    expect(continuationScore(emoji, 'I😀', ' you')).toEqual({ logprob: -1, isGreedy: true, tokens: 1 });
  });

  it('refuses an empty context (the first token has no logprob)', () => {
    expect(() => continuationScore(lp, '', 'The cat')).toThrow(/empty context/);
  });
});

describe('request bodies and reasoning', () => {
  it('sends every sampling field explicitly and seeds each sample', () => {
    const { endpoint, body } = buildRequestBody({ kind: 'chat', messages: [{ role: 'user', content: 'hi' }], sample_index: 3, oracle: { answer: 'x' } }, { servedModel: 'm', mode: THINKING, maxTokens: 99, seed: 10 });
    expect(endpoint).toBe('chat');
    expect(body).toEqual({
      model: 'm',
      max_tokens: 99,
      temperature: 0.6,
      top_p: 0.95,
      top_k: 20,
      min_p: 0,
      presence_penalty: 0,
      frequency_penalty: 0,
      repetition_penalty: 1,
      seed: 13,
      n: 1,
      messages: [{ role: 'user', content: 'hi' }],
      chat_template_kwargs: { enable_thinking: true },
    });
  });

  it('log-likelihood uses echo + logprobs=1, temperature 0, one generated token (like lm-eval local-completions)', () => {
    const { endpoint, body } = buildRequestBody({ kind: 'loglikelihood', context: 'Q: 2+2=', continuation: ' 4', sample_index: 0 }, { servedModel: 'm', mode: NON_THINKING, maxTokens: 5, englishFields: { vllm_xargs: {} } });
    expect(endpoint).toBe('completion');
    expect(body).toEqual({ model: 'm', prompt: 'Q: 2+2= 4', max_tokens: 1, temperature: 0, logprobs: 1, echo: true, seed: 0 });
  });

  it('splits reasoning from reasoning_content, reasoning, or inline <think>', () => {
    expect(splitReasoning({ content: 'A', reasoning_content: 'R' })).toEqual({ text: 'A', reasoning: 'R' });
    expect(splitReasoning({ content: 'A', reasoning: 'R' })).toEqual({ text: 'A', reasoning: 'R' });
    expect(splitReasoning({ content: '<think>\nR\n</think>\n\nA' })).toEqual({ text: 'A', reasoning: 'R' });
    expect(splitReasoning({ content: 'R</think>A' })).toEqual({ text: 'A', reasoning: 'R' }); // opening tag was in the prompt
    expect(splitReasoning({ content: '<think>R, cut off' })).toEqual({ text: '', reasoning: 'R, cut off' });
    expect(splitReasoning({ content: 'plain' })).toEqual({ text: 'plain' });
  });
});

describe('metrics and nvidia-smi parsing', () => {
  it('reads vLLM counters from Prometheus text (summed over engines; old KV-cache name as fallback)', () => {
    const text = [
      '# HELP vllm:prompt_tokens_total Number of prefill tokens processed.',
      'vllm:prompt_tokens_total{engine="0",model_name="q"} 100.0',
      'vllm:prompt_tokens_total{engine="1",model_name="q"} 50.0',
      'vllm:generation_tokens_total{model_name="q"} 7',
      'vllm:gpu_cache_usage_perc{model_name="q"} 0.25',
    ].join('\n');
    expect(vllmMetrics(parsePrometheus(text))).toEqual({ promptTokens: 150, generationTokens: 7, kvCacheUsage: 0.25, requestsRunning: null });
    expect(parsePrometheus('x{a="b,c",d="e"} +Inf')[0]).toEqual({ name: 'x', labels: { a: 'b,c', d: 'e' }, value: Infinity });
  });

  it('parses nvidia-smi csv (noheader, nounits)', () => {
    expect(parseGpuQuery('0, NVIDIA H100 80GB HBM3, 81559, 1000, 80559, 580.159.04\n')).toEqual([{ index: 0, name: 'NVIDIA H100 80GB HBM3', totalMiB: 81559, usedMiB: 1000, freeMiB: 80559, driver: '580.159.04' }]);
    expect(parseGpuQuery('1, NVIDIA H100 80GB HBM3, 81559, 1000, 80559, 580.159.04, GPU-8f3c2a1e-0d4b-4c55-9e1a-2b7f6c9d0e11\n')[0].uuid).toBe('GPU-8f3c2a1e-0d4b-4c55-9e1a-2b7f6c9d0e11');
    expect(parseComputeApps('1234, 70000\n5678, [N/A]\n')).toEqual([{ pid: 1234, usedMiB: 70000 }, { pid: 5678, usedMiB: 0 }]);
    expect(parseComputeApps('No running processes found\n')).toEqual([]);
  });
});

describe('retries', () => {
  it('backs off exponentially with jitter, capped', () => {
    const opts = { baseMs: 100, maxMs: 1000 };
    expect(backoffDelay(0, { ...opts, random: () => 0 })).toBe(50);
    expect(backoffDelay(3, { ...opts, random: () => 0.999 })).toBe(1199);
    expect(backoffDelay(10, { ...opts, random: () => 0.5 })).toBe(1000);
  });

  it('retries only retryable errors and lets the caller stop early', async () => {
    let calls = 0;
    const ok = await withRetry(async () => (++calls < 3 ? Promise.reject(new Error('503')) : 'done'), { maxRetries: 5, backoff: { baseMs: 1, maxMs: 2 }, isRetryable: () => true });
    expect([ok, calls]).toEqual(['done', 3]);
    await expect(withRetry(async () => Promise.reject(new Error('400')), { maxRetries: 5, isRetryable: () => false })).rejects.toThrow('400');
    await expect(withRetry(async () => Promise.reject(new Error('down')), { maxRetries: 5, backoff: { baseMs: 1, maxMs: 1 }, isRetryable: () => true, shouldStop: () => new Error('server exited') })).rejects.toThrow('server exited');
  });
});

describe('InferenceClient against a scripted HTTP server', () => {
  let server: Server | null = null;
  afterEach(() => server?.close());

  async function serve(handler: (n: number, res: import('node:http').ServerResponse) => void): Promise<string> {
    let n = 0;
    server = createServer((req, res) => {
      req.resume();
      req.on('end', () => handler(++n, res));
    });
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', () => r()));
    return `http://127.0.0.1:${(server!.address() as { port: number }).port}/v1`;
  }
  const ok = (res: import('node:http').ServerResponse) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ choices: [{ message: { content: 'fine' }, finish_reason: 'stop' }], usage: { prompt_tokens: 3, completion_tokens: 1 } }));
  };
  const status = (res: import('node:http').ServerResponse, code: number) => {
    res.writeHead(code, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: { message: `status ${code}` } }));
  };

  it('retries 429 and 5xx, counting each retry', async () => {
    const url = await serve((n, res) => (n === 1 ? status(res, 429) : n === 2 ? status(res, 502) : ok(res)));
    const c = new InferenceClient({ baseURL: url, concurrency: 1, timeoutMs: 5000, maxRetries: 3, backoff: { baseMs: 1, maxMs: 2 } });
    const r = await c.chat({ model: 'm', messages: [] });
    expect(r.retries).toBe(2);
    expect(r.data.choices[0].message.content).toBe('fine');
    expect(c.counters).toMatchObject({ calls: 1, retried: 2, failed: 0, promptTokens: 3, completionTokens: 1 });
  });

  it('does not retry a 400', async () => {
    const url = await serve((_n, res) => status(res, 400));
    const c = new InferenceClient({ baseURL: url, concurrency: 1, timeoutMs: 5000, maxRetries: 3, backoff: { baseMs: 1, maxMs: 2 } });
    await expect(c.chat({ model: 'm', messages: [] })).rejects.toMatchObject({ status: 400, retries: 0 });
  });

  it('times a request out and retries it', async () => {
    // Generous margins: on a loaded 2-core CI machine an immediate answer can take a few hundred ms.
    const url = await serve((n, res) => (n === 1 ? setTimeout(() => ok(res), 8000) : ok(res)));
    const c = new InferenceClient({ baseURL: url, concurrency: 1, timeoutMs: 1500, maxRetries: 2, backoff: { baseMs: 1, maxMs: 2 } });
    const r = await c.chat({ model: 'm', messages: [] });
    expect(r.retries).toBe(1);
  });

  it('keeps at most `concurrency` requests in flight', async () => {
    let inFlight = 0;
    let peak = 0;
    const url = await serve((_n, res) => {
      inFlight++;
      peak = Math.max(peak, inFlight);
      setTimeout(() => {
        inFlight--;
        ok(res);
      }, 30);
    });
    const c = new InferenceClient({ baseURL: url, concurrency: 3, timeoutMs: 5000, maxRetries: 0 });
    await Promise.all(Array.from({ length: 10 }, () => c.chat({ model: 'm', messages: [] })));
    expect(peak).toBeLessThanOrEqual(3);
    expect(peak).toBeGreaterThanOrEqual(2);
  });
});
