import type { ProjectConfiguration } from '@nx/devkit';
import { CONFIG_PATHS, type ResolvedPlugin } from '@evalgraph/core';
import { NOT_DOCS, pluginInputs } from './inputs';

/** Where `prepare` writes a dataset's canonical JSONL and manifest. */
export const preparedDir = (name: string) => `.evalgraph/prepared/${name}`;

/** A dataset project: `prepare` (download pinned source, verify sha256, normalize) and `summary`; `format`: its format plugin, if any. */
export function datasetProject(name: string, format: ResolvedPlugin | null = null): ProjectConfiguration {
  const code = ['{workspaceRoot}/libs/core/src/**/*', '{workspaceRoot}/libs/datasets/src/**/*', NOT_DOCS];
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
