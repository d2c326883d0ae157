// Measures the two ways of delivering the English-only filter (README "English-only filter").
// Run: node -r @swc-node/register libs/inference/scripts/measure-english-filter.ts [workspaceRoot]
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildRequestBody, computeEnglishFilter, englishRequestFields, findExecutable, loadEnglishFilter } from '../src';

const root = process.argv[2] ?? mkdtempSync(join(tmpdir(), 'evalgraph-measure-'));
process.on('exit', () => {
  if (!process.argv[2]) rmSync(root, { recursive: true, force: true });
});
let t = performance.now();
const computed = computeEnglishFilter();
const computeMs = performance.now() - t;
t = performance.now();
const filter = loadEnglishFilter(root); // writes the artifact the first time
const firstLoadMs = performance.now() - t;
t = performance.now();
loadEnglishFilter(root);
const cachedLoadMs = performance.now() - t;
const mode = { sampling: { temperature: 0.7, top_p: 0.8, top_k: 20, min_p: 0, presence_penalty: 0, repetition_penalty: 1 }, max_tokens: 512, chat_template_kwargs: { enable_thinking: false }, reasoning: false };
const req = { kind: 'chat' as const, messages: [{ role: 'user' as const, content: 'Natalia sold clips to 48 of her friends in April, and then she sold half as many clips in May. How many clips did Natalia sell altogether in April and May?' }], sample_index: 0 };
const size = (fields?: Record<string, unknown>) => Buffer.byteLength(JSON.stringify(buildRequestBody(req, { servedModel: 'qwen3-8b', mode, maxTokens: 512, englishFields: fields }).body));
const plain = size();
const perRequest = size(englishRequestFields(filter, 'allowed-token-ids'));
const processor = size(englishRequestFields(filter, 'logits-processor'));
t = performance.now();
for (let i = 0; i < 20; i++) JSON.stringify(englishRequestFields(filter, 'allowed-token-ids'));
const stringifyMs = (performance.now() - t) / 20;
console.log(JSON.stringify({ counts: computed.counts, computeMs: Math.round(computeMs), firstLoadMs: Math.round(firstLoadMs), cachedLoadMs: Math.round(cachedLoadMs), artifact: filter.file, bodyBytes: { plain, perRequest, processor }, nodeStringifyMs: +stringifyMs.toFixed(1) }, null, 2));
const py = findExecutable('python3');
if (py) {
  const code = [
    'import json, sys, time',
    'body = json.dumps({"model": "q", "messages": [], "allowed_token_ids": json.load(open(sys.argv[1]))["allowed_token_ids"]})',
    'n = 20; t = time.perf_counter()',
    'for _ in range(n): json.loads(body)',
    'parse = (time.perf_counter() - t) / n * 1000',
    'out = {"python_json_loads_ms": round(parse, 2)}',
    'try:',
    '    from pydantic import BaseModel',
    '    class Req(BaseModel):',
    '        model: str',
    '        messages: list',
    '        allowed_token_ids: list[int] | None = None',
    '    t = time.perf_counter()',
    '    for _ in range(n): Req.model_validate_json(body)',
    '    out["pydantic_validate_json_ms"] = round((time.perf_counter() - t) / n * 1000, 2)',
    'except ImportError: pass',
    'print(json.dumps(out))',
  ].join('\n');
  console.log(execFileSync(py, ['-c', code, filter.file], { encoding: 'utf8' }).trim());
}
