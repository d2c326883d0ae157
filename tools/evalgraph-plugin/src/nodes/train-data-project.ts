import type { ProjectConfiguration } from '@nx/devkit';
import { CONFIG_PATHS } from '@evalgraph/core';
import { NOT_DOCS } from './inputs';
import { projectName } from './project-names';

/** Where `prepare` of a train-data project writes data.jsonl, manifest.json and contamination.json. */
export const trainDataOutDir = (name: string) => `.evalgraph/train-data/${name}`;

/**
 * A train-data project: `prepare` builds the fine-tuning set and decontaminates it against `evalDatasets`. It waits for
 * their `prepare` and hashes their manifests (the sha256 of their canonical JSONL), so a changed evaluation set
 * re-runs the decontamination and nothing else of it does.
 */
export function trainDataProject(name: string, evalDatasets: string[]): ProjectConfiguration {
  return {
    root: `configs/train-data/${name}`,
    name: projectName.trainData(name),
    projectType: 'library',
    tags: ['kind:train-data', `train-data:${name}`],
    implicitDependencies: evalDatasets.map(projectName.dataset),
    targets: {
      prepare: {
        executor: '@evalgraph/plugin:prepare-train-data',
        options: { trainData: name },
        dependsOn: evalDatasets.map((d) => ({ projects: [projectName.dataset(d)], target: 'prepare', params: 'ignore' as const })),
        inputs: [
          { fileset: `{workspaceRoot}/${CONFIG_PATHS['train-data'](name)}`, includeIgnored: true },
          { dependentTasksOutputFiles: '**/manifest.json', transitive: false },
          '{workspaceRoot}/libs/core/src/**/*',
          '{workspaceRoot}/libs/datasets/src/**/*',
          '{workspaceRoot}/tools/evalgraph-plugin/src/executors/train-data/**/*',
          NOT_DOCS,
          { externalDependencies: ['yaml', 'zod', 'fflate'] },
        ],
        outputs: [`{workspaceRoot}/${trainDataOutDir(name)}`],
        cache: true,
        metadata: { description: `build the fine-tuning set ${name}, decontaminated against ${evalDatasets.length} evaluation sets` },
      },
    },
  };
}
