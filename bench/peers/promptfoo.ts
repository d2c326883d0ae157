import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { buildRequestBody } from '@evalgraph/inference';
import type { ChatRequest } from '@evalgraph/core';
import { benchCellInput, gsm8kRequests } from '../lib/cell-input';
import { runTimed } from '../lib/proc';
import { toolBin } from './tools';

/** One promptfoo setup: a config of providers × GSM8K tests against the zero-latency server, and its own home and cache. */
export interface PromptfooSetup {
  dir: string;
  config: string;
  tests: number;
  providers: number;
}

/**
 * Writes a promptfoo config that sends the same GSM8K chat requests as the bench pipeline's GSM8K cells: one
 * provider per variant (model × preset, `openai:chat:<model>` at the zero-latency server, the model's sampling
 * fields) and one test per sample whose prompt is the 8-shot chat messages as JSON.
 */
export function writePromptfooConfig(root: string, dir: string, variants: { model: string; preset: string }[], samples: number, serverUrl: string): PromptfooSetup {
  mkdirSync(dir, { recursive: true });
  const providers = variants.map((v) => {
    const input = benchCellInput(root, { model: v.model, preset: v.preset, dataset: 'gsm8k', sampleLimit: samples, backend: 'endpoint' });
    const mode = input.model.modes[input.modeName];
    const first = gsm8kRequests(input, 1)[0];
    const { body } = buildRequestBody(first, { servedModel: v.model, mode, maxTokens: input.dataset.max_tokens ?? mode.max_tokens });
    const { model: _m, messages: _msgs, temperature, top_p, max_tokens, stop, seed, ...passthrough } = body as Record<string, unknown>;
    return {
      id: `openai:chat:${v.model}`,
      label: `${v.model}--${v.preset}`,
      config: { apiBaseUrl: `${serverUrl}/v1`, apiKey: 'EMPTY', temperature, top_p, max_tokens, stop, seed, passthrough },
    };
  });
  const input = benchCellInput(root, { model: variants[0].model, preset: variants[0].preset, dataset: 'gsm8k', sampleLimit: samples, backend: 'endpoint' });
  const tests = gsm8kRequests(input, samples).map((r) => ({ vars: { messages: JSON.stringify((r as ChatRequest).messages.map((m) => ({ role: m.role, content: m.content }))) } }));
  const config = path.join(dir, 'promptfooconfig.json');
  writeFileSync(config, JSON.stringify({ description: 'evalgraph bench: GSM8K against the zero-latency server', prompts: ['{{messages}}'], providers, tests }, null, 1));
  return { dir, config, tests: tests.length, providers: providers.length };
}

/** promptfoo's environment: its home, cache and database inside the bench folder; no telemetry, no update check. */
function env(setup: PromptfooSetup): NodeJS.ProcessEnv {
  return {
    ...process.env,
    PROMPTFOO_CONFIG_DIR: path.join(setup.dir, 'home'),
    PROMPTFOO_CACHE_PATH: path.join(setup.dir, 'cache'),
    PROMPTFOO_DISABLE_TELEMETRY: '1',
    PROMPTFOO_DISABLE_UPDATE: '1',
    PROMPTFOO_DISABLE_SHARING: '1',
    NO_COLOR: '1',
    FORCE_COLOR: '0',
  };
}

/** The command line of one eval (for RESULTS.md). */
export function promptfooCommand(concurrency: number, cache: boolean): string {
  return `promptfoo eval -c promptfooconfig.json -j ${concurrency} --no-progress-bar --no-table${cache ? '' : ' --no-cache'}`;
}

/**
 * Runs `promptfoo eval` once; `cold` first deletes its cache. Succeeds when promptfoo reports every test done
 * (promptfoo 0.121 on Node 20 can crash in its logger right after "Eval complete"; that exit code is ignored
 * and counted in the notes).
 */
export async function runPromptfoo(setup: PromptfooSetup, opts: { concurrency: number; cold: boolean; cache?: boolean }): Promise<{ seconds: number; startedAt: number; crashedAfterComplete: boolean }> {
  if (opts.cold) rmSync(path.join(setup.dir, 'cache'), { recursive: true, force: true });
  const args = [toolBin('promptfoo'), 'eval', '-c', setup.config, '-j', String(opts.concurrency), '--no-progress-bar', '--no-table'];
  if (opts.cache === false) args.push('--no-cache');
  const r = await runTimed(process.execPath, args, { cwd: setup.dir, env: env(setup), timeoutMs: 600_000 });
  const complete = /Eval complete/.test(r.out);
  const evaluated = setup.tests * setup.providers;
  const count = (label: string) => {
    const m = new RegExp(`(\\d[\\d,]*) ${label}`).exec(r.out);
    return m ? Number(m[1].replace(/,/g, '')) : null;
  };
  // The summary is printed after "Eval complete" and is lost when promptfoo crashes on exit; check it when present.
  const passed = count('passed');
  const errors = count('errors');
  if (!complete || (passed !== null && passed !== evaluated) || (errors !== null && errors > 0)) {
    throw new Error(`promptfoo eval did not finish all ${evaluated} evaluations (exit ${r.status}):\n${r.out.slice(-3000)}`);
  }
  return { seconds: r.seconds, startedAt: r.startedAt, crashedAfterComplete: r.status !== 0 };
}
