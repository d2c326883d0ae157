import type { Normalizer } from '@evalgraph/datasets';
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
}

/** What a config uses a plugin for, i.e. which export it must have. */
export type PluginRole = 'scorer' | 'format';

/** Identity helper that type-checks a plugin's default export against the API. */
export function definePlugin(plugin: Omit<EvalgraphPlugin, 'apiVersion'> & { apiVersion?: typeof PLUGIN_API_VERSION }): EvalgraphPlugin {
  return { ...plugin, apiVersion: PLUGIN_API_VERSION };
}
