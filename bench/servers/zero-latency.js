#!/usr/bin/env node
/*
 * Zero-latency OpenAI-compatible server for evalgraph's benchmarks (not a model, not a test fixture).
 * It answers as fast as Node can, so a benchmark against it measures the client's overhead, not inference.
 *
 *   node bench/servers/zero-latency.js [--port N] [--host H]     prints "listening <port>" on stdout
 *
 * POST /v1/chat/completions   one pre-serialized answer ("... The answer is 42. Rating: [[5]]"): the body is
 *                             drained, never parsed (the judge's [[rating]] and GSM8K's number both extract)
 * POST /v1/completions        echo + logprobs: the prompt split on whitespace boundaries with text_offset in
 *                             code points, as lm-evaluation-harness-style log-likelihood scoring needs;
 *                             without echo, one fixed completion
 * GET  /health /version /v1/models /metrics, /stats[?reset=1] (requests answered, first and last arrival)
 * Plain JS so it starts in ~50 ms and costs nothing to load; one process, HTTP keep-alive on.
 */
'use strict';
const http = require('node:http');

const args = process.argv.slice(2);
const arg = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : dflt;
};
const port = Number(arg('--port', '0'));
const host = arg('--host', '127.0.0.1');
const VERSION = 'zero-latency 1.0.0 (evalgraph bench)';

const CHAT = Buffer.from(
  JSON.stringify({
    id: 'zl-chat',
    object: 'chat.completion',
    created: 0,
    model: 'zero-latency',
    choices: [{ index: 0, message: { role: 'assistant', content: 'Zero-latency reply. The answer is 42. Rating: [[5]]' }, logprobs: null, finish_reason: 'stop' }],
    usage: { prompt_tokens: 100, completion_tokens: 12, total_tokens: 112 },
  }),
);
const COMPLETION = Buffer.from(
  JSON.stringify({
    id: 'zl-cmpl',
    object: 'text_completion',
    created: 0,
    model: 'zero-latency',
    choices: [{ index: 0, text: ' The answer is 42.', logprobs: null, finish_reason: 'stop' }],
    usage: { prompt_tokens: 100, completion_tokens: 5, total_tokens: 105 },
  }),
);
const JSON_HEADERS = { 'content-type': 'application/json' };
let requests = 0;
let firstMs = null;
let lastMs = null;
/** Counts an answered request (for /stats: server-side rate of clients whose own timing is not comparable). */
function count() {
  requests++;
  lastMs = Date.now();
  if (firstMs === null) firstMs = lastMs;
}

function cpLen(s) {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

/** An echo=true, logprobs=1 completion of the prompt: whitespace-led tokens, deterministic logprobs. */
function echoCompletion(body) {
  const prompt = Array.isArray(body.prompt) ? String(body.prompt[0]) : String(body.prompt ?? '');
  const toks = prompt.match(/\s*\S+|\s+/g) || [];
  toks.push(' x');
  const offsets = [];
  const lps = [];
  const tops = [];
  let off = 0;
  for (let i = 0; i < toks.length; i++) {
    offsets.push(off);
    off += cpLen(toks[i]);
    const lp = i === 0 ? null : -((toks[i].length % 7) + 1) / 4;
    lps.push(lp);
    tops.push(lp === null ? null : { [toks[i]]: lp });
  }
  return {
    id: 'zl-echo',
    object: 'text_completion',
    created: 0,
    model: String(body.model ?? 'zero-latency'),
    choices: [{ index: 0, text: toks.join(''), logprobs: { tokens: toks, token_logprobs: lps, top_logprobs: tops, text_offset: offsets }, finish_reason: 'length' }],
    usage: { prompt_tokens: toks.length - 1, completion_tokens: 1, total_tokens: toks.length },
  };
}

const server = http.createServer((req, res) => {
  const url = req.url;
  if (req.method === 'POST' && url.endsWith('/chat/completions')) {
    req.on('data', () => {});
    req.on('end', () => {
      count();
      res.writeHead(200, JSON_HEADERS);
      res.end(CHAT);
    });
    return;
  }
  if (req.method === 'POST' && url.endsWith('/completions')) {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      count();
      let body;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch {
        res.writeHead(400, JSON_HEADERS);
        res.end('{"error":{"message":"invalid JSON"}}');
        return;
      }
      res.writeHead(200, JSON_HEADERS);
      res.end(body.echo ? JSON.stringify(echoCompletion(body)) : COMPLETION);
    });
    return;
  }
  req.resume();
  const path = url.split('?')[0];
  if (path === '/health') return void res.end();
  if (path === '/version') return void res.end(JSON.stringify({ version: VERSION }));
  if (path === '/stats') {
    res.end(JSON.stringify({ requests, first_ms: firstMs, last_ms: lastMs }));
    if (url.includes('reset=1')) {
      requests = 0;
      firstMs = lastMs = null;
    }
    return;
  }
  if (path === '/v1/models') return void res.end(JSON.stringify({ object: 'list', data: [{ id: 'zero-latency', object: 'model', owned_by: 'bench' }] }));
  if (path === '/metrics') {
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
    return void res.end(`vllm:num_requests_running{model_name="zero-latency"} 0\nvllm:request_success_total{model_name="zero-latency"} ${requests}\n`);
  }
  res.writeHead(404, JSON_HEADERS);
  res.end('{"error":{"message":"not found"}}');
});
server.keepAliveTimeout = 60_000;
server.headersTimeout = 65_000;
server.listen(port, host, () => {
  process.stdout.write(`listening ${server.address().port}\n`);
});
process.on('SIGTERM', () => process.exit(0));
process.on('SIGINT', () => process.exit(0));
// Never outlive the benchmark that started us: when our stdin (a pipe from the parent) closes, exit.
process.stdin.on('end', () => process.exit(0));
process.stdin.on('error', () => process.exit(0));
process.stdin.resume();
