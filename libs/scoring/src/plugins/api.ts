import type { Normalizer } from '@evalgraph/datasets';
import type { Backend, ServerSpec } from '@evalgraph/inference';
import type { Scorer } from '../types';

/** The plugin API version this evalgraph implements; a plugin declares the one it was written for. */
export const PLUGIN_API_VERSION = 1;

/**
 * What a plugin package exports (as its default export): a scorer, a dataset format (normalizer), or both. The
 * built-in scorers are registered through this same shape, so it is proven by every built-in dataset.
 */
export interface EvalgraphPlugin {
  apiVersion: typeof PLUGIN_API_VERSION;
  /** Used by `scorer: <plugin>` in a dataset config. */
  scorer?: Scorer;
  /** Used by `format: <plugin>` in a dataset config. */
  format?: Normalizer;
  /** Used by `backend: <plugin>` in a pipeline config: makes the backend of one model (per ServerSpec key). */
  backend?: BackendFactory;
}

/** What a backend plugin's factory returns: a Backend (evalgraph labels its kind "plugin"). */
export type PluginBackend = Omit<Backend, 'kind'>;
/** Makes the backend that serves one model's cells; `close()` must stop anything it started. */
export type BackendFactory = (spec: ServerSpec) => PluginBackend;

/** What a config uses a plugin for, i.e. which export it must have. */
export type PluginRole = 'scorer' | 'format' | 'backend';

/** Identity helper that type-checks a plugin's default export against the API. */
export function definePlugin(plugin: Omit<EvalgraphPlugin, 'apiVersion'> & { apiVersion?: typeof PLUGIN_API_VERSION }): EvalgraphPlugin {
  return { ...plugin, apiVersion: PLUGIN_API_VERSION };
}
