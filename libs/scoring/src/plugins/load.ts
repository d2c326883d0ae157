import { isBuiltinScorer, isFormatPlugin, resolvePluginRef, PluginError, type DatasetConfig, type ResolvedPlugin } from '@evalgraph/core';
import type { EvalgraphPlugin, PluginRole } from './api';
import type { Backend, ServerSpec } from '@evalgraph/inference';
import { validateBackend, validatePlugin } from './validate';

/** A plugin found on disk, its code loaded and checked against the API for role R (a union over roles by default). */
export type LoadedPlugin<R extends PluginRole = PluginRole> = R extends PluginRole
  ? { resolved: ResolvedPlugin; plugin: EvalgraphPlugin & Required<Pick<EvalgraphPlugin, R>> }
  : never;

type Register = (options?: Record<string, unknown>) => () => void;

/**
 * Requires a plugin's entry. A TypeScript entry (a workspace plugin's src/index.ts) needs a transpiler, and the one
 * the host registered to load evalgraph itself may be gone by now (Nx removes its own after loading executors), so
 * swc-node is registered for the duration of this require only.
 */
export function requirePlugin(dir: string): unknown {
  const entry = require.resolve(dir);
  if (!/\.[cm]?tsx?$/.test(entry) || require.extensions['.ts']) return require(entry);
  const { register } = require('@swc-node/register/register') as { register: Register };
  // ES2022, CommonJS (swc-node forces it), as tsconfig.settings.json compiles evalgraph.
  const revert = register({ target: 9, esModuleInterop: true });
  try {
    return require(entry);
  } finally {
    revert();
  }
}

/**
 * Loads the plugin `ref` names (a `./folder` from the workspace root or an npm package) and validates it for `role`.
 * Throws PluginError naming the plugin and what is missing; nothing here starts a server, so it runs before any GPU
 * time (the pipeline's `check`, and every cell before its backend opens).
 */
export function loadPlugin<R extends PluginRole>(root: string, ref: string, role: R, load: (dir: string) => unknown = requirePlugin): LoadedPlugin<R> {
  const resolved = resolvePluginRef(root, ref);
  let exports: unknown;
  try {
    exports = load(resolved.dir);
  } catch (e) {
    throw new PluginError(ref, `${resolved.name}@${resolved.version} failed to load from ${resolved.dir}: ${(e as Error).message.split('\n')[0]}`);
  }
  const plugin = validatePlugin(`${ref} (${resolved.name}@${resolved.version})`, exports, role) as EvalgraphPlugin & Required<Pick<EvalgraphPlugin, R>>;
  return { resolved, plugin } as LoadedPlugin<R>;
}

/**
 * Loads and validates every plugin a dataset config names (its scorer, its format), so a broken plugin fails the
 * pipeline's check instead of a cell. Returns what was loaded; throws one PluginError per first broken plugin.
 */
export function loadDatasetPlugins(root: string, dataset: Pick<DatasetConfig, 'scorer' | 'format'>): LoadedPlugin<'scorer' | 'format'>[] {
  const out: LoadedPlugin<'scorer' | 'format'>[] = [];
  if (!isBuiltinScorer(dataset.scorer)) out.push(loadPlugin(root, dataset.scorer, 'scorer'));
  if (isFormatPlugin(dataset.format)) out.push(loadPlugin(root, dataset.format, 'format'));
  return out;
}

/** The backend a backend plugin makes for `spec` (spec.plugin names it), labelled kind "plugin" in every result. */
export function openPluginBackend(root: string, spec: ServerSpec): Backend {
  const ref = spec.plugin ?? spec.backend;
  const { resolved, plugin } = loadPlugin(root, ref, 'backend');
  const b = validateBackend(`${ref} (${resolved.name}@${resolved.version})`, plugin.backend(spec));
  return {
    kind: 'plugin',
    describe: () => b.describe(),
    // A plugin may ignore onResult and just return its responses; the runner streams scores through onResult, so
    // any response the plugin returned without reporting is reported here, in order.
    async run(requests, opts) {
      const reported = new Set<number>();
      const out = await b.run(requests, { ...opts, keepResponses: true, onResult: (i, r) => (reported.add(i), opts.onResult?.(i, r)) });
      out.responses.forEach((r, i) => reported.has(i) || opts.onResult?.(i, r));
      return { responses: opts.keepResponses === false ? [] : out.responses, stats: out.stats };
    },
    close: () => b.close(),
  };
}
