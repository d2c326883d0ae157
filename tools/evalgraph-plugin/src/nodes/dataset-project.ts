import type { ProjectConfiguration } from 'nx/src/config/workspace-json-project-json';
import { CONFIG_PATHS } from '@evalgraph/core';

/** Where `prepare` writes a dataset's canonical JSONL and manifest. */
export const preparedDir = (name: string) => `.evalgraph/prepared/${name}`;

/** A dataset project: `prepare` (download pinned source, verify sha256, normalize) and `summary`. */
export function datasetProject(name: string): ProjectConfiguration {
  const code = ['{workspaceRoot}/libs/core/src/**/*', '{workspaceRoot}/libs/datasets/src/**/*'];
  return {
    root: `configs/datasets/${name}`,
    name: `dataset-${name}`,
    projectType: 'library',
    tags: ['type:dataset'],
    targets: {
      prepare: {
        executor: '@evalgraph/plugin:prepare',
        options: { dataset: name },
        inputs: [`{workspaceRoot}/${CONFIG_PATHS.dataset(name)}`, ...code, '{workspaceRoot}/tools/evalgraph-plugin/src/executors/prepare/**/*', { externalDependencies: ['yaml', 'zod'] }],
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
