import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DatasetConfig, PluginError, ScorerName, resolvePluginRef } from '@evalgraph/core';
import { PipelineConfig, type EvalResponse } from '@evalgraph/core';
import type { ServerSpec } from '@evalgraph/inference';
import { definePlugin, getScorer, loadDatasetPlugins, loadPlugin, openPluginBackend, registerScorer, scorerFor, validatePlugin } from '@evalgraph/scoring';

/** A throwaway workspace with JS plugins (plain CommonJS, so Node's own require loads them). */
const root = mkdtempSync(join(tmpdir(), 'evalgraph-plugins-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const SCORER_JS = `{ name: 'echo', buildRequests: (record) => ({ record, requests: [], renderedPrompt: '' }), score: () => [], aggregate: () => [] }`;

function plugin(rel: string, body: string, pkg: Record<string, unknown> = { name: `@t/${rel.split('/').pop()}`, version: '1.2.3' }): string {
  const dir = join(root, rel);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ main: 'index.js', ...pkg }));
  writeFileSync(join(dir, 'index.js'), body);
  return dir;
}

plugin('tools/plugins/good', `module.exports = { default: { apiVersion: 1, scorer: ${SCORER_JS} } };`);
plugin('tools/plugins/plain-exports', `module.exports = { apiVersion: 1, scorer: ${SCORER_JS} };`);
plugin('tools/plugins/no-scorer', `module.exports = { default: { apiVersion: 1, format: () => ({ records: [] }) } };`);
plugin('tools/plugins/half', `module.exports = { default: { apiVersion: 1, scorer: { name: 'half', buildRequests() {}, score: 42 } } };`);
plugin('tools/plugins/old-api', `module.exports = { default: { apiVersion: 0, scorer: ${SCORER_JS} } };`);
plugin('tools/plugins/throws', `throw new Error('cannot find module "left-pad"');`);
plugin('tools/plugins/no-version', `module.exports = {};`, { name: 'x' });
// A backend that answers every request with its oracle and reports nothing through onResult (the wrapper does).
plugin('tools/plugins/echo-backend', `module.exports = { default: { apiVersion: 1, backend: (spec) => ({
  describe: () => ({ kind: 'echo for ' + spec.modelName, version: '1', command: null }),
  run: async (requests) => ({ responses: requests.map((r) => ({ kind: 'generate', text: r.oracle.answer, finish_reason: 'stop', prompt_tokens: 1, completion_tokens: 1, latency_ms: 0, cached: false })), stats: { total: requests.length } }),
  close: async () => {},
}) } };`);
plugin('tools/plugins/empty-backend', `module.exports = { default: { apiVersion: 1, backend: () => ({ describe() {} }) } };`);
plugin('node_modules/@acme/evalgraph-rubric', `module.exports = { default: { apiVersion: 1, scorer: ${SCORER_JS} } };`, { name: '@acme/evalgraph-rubric', version: '2.0.0' });

const message = (f: () => unknown) => {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(PluginError);
    return (e as Error).message;
  }
  throw new Error('expected a PluginError');
};

describe('plugin references in configs', () => {
  const scorer = (s: string) => DatasetConfig.shape.scorer.safeParse(s);
  it('accepts built-in names, workspace folders and package names', () => {
    for (const s of [...ScorerName.options, './tools/plugins/regex-answer', '@acme/evalgraph-rubric', 'evalgraph-rubric']) expect(scorer(s).success, s).toBe(true);
  });
  it('rejects a misspelled built-in with a did-you-mean instead of looking for a package', () => {
    const r = scorer('gsm8kk');
    expect(r.success).toBe(false);
    expect(r.error?.issues[0].message).toContain('did you mean "gsm8k"?');
    expect(scorer('tools/plugins/x').success).toBe(false);
  });
});

describe('resolving and loading plugins', () => {
  it('finds a workspace folder and an installed package, with name and version, without running them', () => {
    expect(resolvePluginRef(root, './tools/plugins/good')).toMatchObject({ name: '@t/good', version: '1.2.3', workspaceDir: 'tools/plugins/good' });
    expect(resolvePluginRef(root, '@acme/evalgraph-rubric')).toMatchObject({ name: '@acme/evalgraph-rubric', version: '2.0.0', workspaceDir: null });
  });

  it('loads a valid plugin (export default or module.exports) and registers its scorer', () => {
    expect(loadPlugin(root, './tools/plugins/good', 'scorer').plugin.scorer.name).toBe('echo');
    expect(loadPlugin(root, './tools/plugins/plain-exports', 'scorer').plugin.scorer.name).toBe('echo');
    expect(scorerFor(root, '@acme/evalgraph-rubric').name).toBe('echo');
  });

  it('fails with one error naming the plugin and everything it lacks', () => {
    expect(message(() => loadPlugin(root, './tools/plugins/no-scorer', 'scorer'))).toMatch(/^plugin \.\/tools\/plugins\/no-scorer \(@t\/no-scorer@1\.2\.3\): does not implement the evalgraph plugin API: scorer: missing/);
    const half = message(() => loadPlugin(root, './tools/plugins/half', 'scorer'));
    expect(half).toContain('scorer.score: expected a function (sample, responses, ctx) => SampleResult[], found 42');
    expect(half).toContain('scorer.aggregate: expected a function (results, ctx) => MetricValue[], found nothing');
    expect(half).not.toContain('buildRequests');
    expect(message(() => loadPlugin(root, './tools/plugins/old-api', 'scorer'))).toContain('apiVersion: expected 1');
    expect(message(() => loadPlugin(root, './tools/plugins/good', 'format'))).toContain('format: missing');
  });

  it('says what to do when a plugin cannot be found or loaded', () => {
    expect(message(() => loadPlugin(root, './tools/plugins/nope', 'scorer'))).toContain('no package.json');
    expect(message(() => loadPlugin(root, '@acme/not-installed', 'scorer'))).toContain('npm install --save-exact @acme/not-installed');
    expect(message(() => loadPlugin(root, './tools/plugins/throws', 'scorer'))).toContain('failed to load');
    expect(message(() => loadPlugin(root, './tools/plugins/no-version', 'scorer'))).toContain('needs a "name" and a "version"');
  });

  it('loads exactly the plugins a dataset config names', () => {
    expect(loadDatasetPlugins(root, { scorer: 'gsm8k', format: 'gsm8k' })).toEqual([]);
    expect(loadDatasetPlugins(root, { scorer: './tools/plugins/good', format: 'gsm8k' }).map((p) => p.resolved.name)).toEqual(['@t/good']);
    expect(message(() => loadDatasetPlugins(root, { scorer: 'gsm8k', format: './tools/plugins/good' }))).toContain('format: missing');
  });
});

describe('backend plugins', () => {
  const spec = (plugin: string) => ({ key: 'k', modelName: 'm', backend: 'plugin', plugin, workspaceRoot: root }) as ServerSpec;
  const pipeline = (backend: string) => PipelineConfig.safeParse({ backend, models: [{ model: 'm' }], datasets: ['d'] });

  it('are named by a pipeline like a built-in backend; a typo of one is reported as the typo', () => {
    expect(pipeline('./tools/plugins/echo-backend').success).toBe(true);
    expect(pipeline('vlm').error?.issues[0].message).toContain('did you mean "vllm"?');
  });

  it('make a backend labelled "plugin" whose responses reach onResult even when the plugin does not report them', async () => {
    const b = openPluginBackend(root, spec('./tools/plugins/echo-backend'));
    expect(b.kind).toBe('plugin');
    expect(b.describe().kind).toBe('echo for m');
    const seen: [number, string][] = [];
    const req = (answer: string) => ({ kind: 'completion' as const, prompt: 'q', sample_index: 0, max_tokens: 4, oracle: { answer } });
    const onResult = (i: number, r: EvalResponse) => seen.push([i, r.kind === 'generate' ? r.text : '']);
    const out = await b.run([req('a'), req('b')], { onResult, keepResponses: false } as never);
    expect(seen).toEqual([[0, 'a'], [1, 'b']]);
    expect(out.responses).toEqual([]);
  });

  it('fail with what the factory result lacks', () => {
    expect(message(() => openPluginBackend(root, spec('./tools/plugins/empty-backend')))).toMatch(/backend\(\)\.run: expected a function .*backend\(\)\.close: expected a function/);
    expect(message(() => openPluginBackend(root, spec('./tools/plugins/good')))).toContain('backend: missing');
  });
});

describe('the built-in scorers go through the same API', () => {
  it('registers every built-in scorer name', () => {
    for (const name of ScorerName.options) expect(getScorer(name).name.length).toBeGreaterThan(0);
  });
  it('validates what it registers as it validates plugins', () => {
    expect(() => registerScorer('broken', definePlugin({ scorer: { name: 'broken' } as never }))).toThrow(/scorer\.buildRequests: expected a function/);
    expect(() => getScorer('broken')).toThrow(PluginError);
    expect(validatePlugin('x', definePlugin({ scorer: getScorer('gsm8k') }), 'scorer').scorer).toBe(getScorer('gsm8k'));
  });
});
