import { PluginError } from '@evalgraph/core';
import { z } from 'zod';
import type { Scorer } from '../types';
import { PLUGIN_API_VERSION, type EvalgraphPlugin, type PluginBackend, type PluginRole } from './api';

const fn = (signature: string) => z.custom<(...args: never[]) => unknown>((v) => typeof v === 'function', { message: `a function ${signature}` });

const ScorerShape = z.object({
  name: z.string().min(1),
  buildRequests: fn('(record, ctx) => { record, requests, renderedPrompt }'),
  followUp: fn('(sample, responses, ctx) => EvalRequest[] | null').optional(),
  score: fn('(sample, responses, ctx) => SampleResult[]'),
  aggregate: fn('(results, ctx) => MetricValue[]'),
});

const PluginShape = z.object({
  apiVersion: z.literal(PLUGIN_API_VERSION),
  scorer: ScorerShape.optional(),
  format: fn('({ dataset, split, files }) => { records, aux? }').optional(),
  backend: fn('(spec) => { describe, run, close }').optional(),
});

const BackendShape = z.object({
  describe: fn('() => { kind, version, command }'),
  run: fn('(requests, opts) => Promise<{ responses, stats }>'),
  close: fn('() => Promise<void>'),
});

const EXAMPLE: Record<PluginRole, string> = {
  scorer: 'export default definePlugin({ scorer: { name, buildRequests, score, aggregate } })',
  format: 'export default definePlugin({ format: (input) => ({ records }) })',
  backend: 'export default definePlugin({ backend: (spec) => ({ describe, run, close }) })',
};

const describe = (v: unknown) => (v === undefined ? 'nothing' : v === null ? 'null' : typeof v === 'function' ? 'a function' : typeof v);

/**
 * Checks a plugin module's export against the API and that it has the export `role` needs; one PluginError lists
 * everything missing. Accepts `export default` (also as compiled to CommonJS) and `module.exports =`.
 */
export function validatePlugin<R extends PluginRole>(ref: string, moduleExports: unknown, role: R): EvalgraphPlugin & Required<Pick<EvalgraphPlugin, R>> {
  const mod = moduleExports as { default?: unknown } | null | undefined;
  const value = mod && typeof mod === 'object' && 'default' in mod && mod.default !== undefined ? mod.default : mod;
  if (!value || typeof value !== 'object') throw new PluginError(ref, `exports ${describe(value)}, not a plugin — ${EXAMPLE[role]} (import { definePlugin } from '@evalgraph/scoring')`);
  const problems: string[] = [];
  const parsed = PluginShape.safeParse(value);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const path = issue.path.join('.');
      const found = issue.path.reduce<unknown>((o, k) => (o && typeof o === 'object' ? (o as Record<PropertyKey, unknown>)[k] : undefined), value);
      const expected = path === 'apiVersion' ? `${PLUGIN_API_VERSION} (definePlugin sets it)` : issue.message.replace(/^Invalid input: expected /, '');
      problems.push(`${path}: expected ${expected}, found ${found === undefined ? 'nothing' : JSON.stringify(found) ?? describe(found)}`);
    }
  }
  if ((value as Record<string, unknown>)[role] === undefined) problems.push(`${role}: missing — a config names this plugin as its ${role}, so it must export one (${EXAMPLE[role]})`);
  if (problems.length) throw new PluginError(ref, `does not implement the evalgraph plugin API: ${problems.join('; ')}`);
  return value as EvalgraphPlugin & Required<Pick<EvalgraphPlugin, R>>;
}

/** The scorer a validated plugin exports (typed for the runner). */
export const scorerOf = (plugin: EvalgraphPlugin): Scorer => plugin.scorer as Scorer;

/** Checks what a backend plugin's factory returned; a PluginError names what it lacks. */
export function validateBackend(ref: string, value: unknown): PluginBackend {
  const parsed = BackendShape.safeParse(value);
  if (parsed.success) return value as PluginBackend;
  const problems = parsed.error.issues.map((i) => `backend().${i.path.join('.')}: expected ${i.message.replace(/^Invalid input: expected /, '')}`);
  throw new PluginError(ref, `its backend factory returned ${describe(value)} without what a backend needs: ${problems.join('; ')}`);
}
