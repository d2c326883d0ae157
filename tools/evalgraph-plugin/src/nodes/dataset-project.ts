import type { ProjectConfiguration } from '@nx/devkit';
import { CONFIG_PATHS, sourceProbeCommand, type DatasetConfig, type ResolvedPlugin } from '@evalgraph/core';
import { NOT_DOCS, pluginInputs } from './inputs';

/** Where `prepare` writes a dataset's canonical JSONL and manifest. */
export const preparedDir = (name: string) => `.evalgraph/prepared/${name}`;

/**
 * A dataset project: `prepare` (download pinned source, verify sha256, normalize) and `summary`. `config` is undefined
 * when the dataset file does not load (prepare then fails with that file's error); `format`: its format plugin, if any.
 */
export function datasetProject(name: string, config: DatasetConfig | undefined, format: ResolvedPlugin | null = null, downloads?: string): ProjectConfiguration {
  const code = ['{workspaceRoot}/libs/core/src/**/*', '{workspaceRoot}/libs/datasets/src/**/*', NOT_DOCS];
  // Whether the source files are on this machine: an unreachable source is never a cache hit (sourceProbeCommand).
  const source = config ? [{ runtime: sourceProbeCommand(config, downloads) }] : [];
  return {
    root: `configs/datasets/${name}`,
    name: `dataset-${name}`,
    projectType: 'library',
    tags: ['kind:dataset', `dataset:${name}`],
    targets: {
      prepare: {
        executor: '@evalgraph/plugin:prepare',
        options: { dataset: name },
        inputs: [
          `{workspaceRoot}/${CONFIG_PATHS.dataset(name)}`,
          ...code,
          '{workspaceRoot}/tools/evalgraph-plugin/src/executors/prepare/**/*',
          { externalDependencies: ['yaml', 'zod', 'fflate'] },
          ...(format ? ['{workspaceRoot}/libs/scoring/src/plugins/**/*', ...pluginInputs(format)] : []),
          ...source,
        ],
        outputs: [`{workspaceRoot}/${preparedDir(name)}`],
        cache: true,
      },
      summary: {
        executor: '@evalgraph/plugin:summary',
        options: { dataset: name },
        dependsOn: ['prepare'],
        inputs: [{ dependentTasksOutputFiles: '**/manifest.json' }, ...code, '{workspaceRoot}/tools/evalgraph-plugin/src/executors/summary/**/*'],
        outputs: [`{workspaceRoot}/results/datasets/${name}`],
        cache: true,
      },
    },
  };
}
