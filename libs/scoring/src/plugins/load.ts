import { isBuiltinScorer, isFormatPlugin, resolvePluginRef, PluginError, type DatasetConfig, type ResolvedPlugin } from '@evalgraph/core';
import type { EvalgraphPlugin, PluginRole } from './api';
import { validatePlugin } from './validate';

/** A plugin found on disk, its code loaded and checked against the API. */
export interface LoadedPlugin<R extends PluginRole = PluginRole> {
  resolved: ResolvedPlugin;
  plugin: EvalgraphPlugin & Required<Pick<EvalgraphPlugin, R>>;
}

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
  // ES2022, CommonJS (swc-node forces it), as tsconfig.base.json compiles evalgraph.
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
  return { resolved, plugin };
}

/**
 * Loads and validates every plugin a dataset config names (its scorer, its format), so a broken plugin fails the
 * pipeline's check instead of a cell. Returns what was loaded; throws one PluginError per first broken plugin.
 */
export function loadDatasetPlugins(root: string, dataset: Pick<DatasetConfig, 'scorer' | 'format'>): (LoadedPlugin<'scorer'> | LoadedPlugin<'format'>)[] {
  const out: (LoadedPlugin<'scorer'> | LoadedPlugin<'format'>)[] = [];
  if (!isBuiltinScorer(dataset.scorer)) out.push(loadPlugin(root, dataset.scorer, 'scorer'));
  if (isFormatPlugin(dataset.format)) out.push(loadPlugin(root, dataset.format, 'format'));
  return out;
}
