import type { ProjectConfiguration } from '@nx/devkit';
import { CONFIG_PATHS, sourceProbeCommand, type DatasetConfig, type ResolvedPlugin } from '@evalgraph/core';
import { NOT_DOCS, pluginInputs } from './inputs';

/** Where `prepare` writes a dataset's canonical JSONL and manifest. */
export const preparedDir = (name: string) => `.evalgraph/prepared/${name}`;

/**
 * A dataset project: `prepare` (download pinned source, verify sha256, normalize) and `summary`. `config` is undefined
 * when the dataset file does not load (prepare then fails with that file's error); `format`: its format plugin, if any;
 * `sourceHere`: every source file was where prepare reads it when the graph was built (sourceFilesPresent).
 */
export function datasetProject(name: string, config: DatasetConfig | undefined, format: ResolvedPlugin | null = null, downloads?: string, sourceHere = false): ProjectConfiguration {
  const code = ['{workspaceRoot}/libs/core/src/**/*', '{workspaceRoot}/libs/datasets/src/**/*', NOT_DOCS];
  // An unreachable source is never a cache hit: a dataset whose files were missing when the graph was built gets a
  // runtime probe that differs on every run while they are still missing (an `sh` Nx spawns while hashing: 17 of
  // them cost the bench grid's cached run 0.2 s). One whose files were here needs none: its files are pinned by
  // sha256, so a changed file is not a new input but bad data, and prepare refuses to cache "unavailable" under
  // this hash (sourceHere in its options).
  const source = config && !sourceHere ? [{ runtime: sourceProbeCommand(config, downloads) }] : [];
  return {
    root: `configs/datasets/${name}`,
    name: `dataset-${name}`,
    projectType: 'library',
    tags: ['kind:dataset', `dataset:${name}`],
    targets: {
      prepare: {
        executor: '@evalgraph/plugin:prepare',
        options: { dataset: name, ...(config && sourceHere ? { sourceHere: true } : {}) },
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
