import type { ProjectConfiguration } from '@nx/devkit';
import { CONFIG_PATHS } from '@evalgraph/core';
import { NOT_DOCS, type InputDefinition } from './inputs';
import { projectName } from './project-names';

/** Where `train` writes a run's adapter, metrics, log and run.json. */
export const trainOutDir = (run: string) => `results/train/${run}`;
/** The trainer script, relative to the workspace root. */
export const TRAINER_SCRIPT = 'tools/trainer/train.py';

/** The Python stack a transformers run trains with (python, torch, transformers, peft versions). */
export const TRAINER_RUNTIME_INPUT: InputDefinition = { runtime: 'node tools/evalgraph-plugin/bin/runtime-id.js trainer' };

/** What a run's project needs to know of its config (read by createNodes; a broken config still gets a project). */
export interface TrainProjectRefs {
  model?: string;
  data?: string;
  gpu?: string;
  trainer?: 'transformers' | 'fake';
}

/**
 * A training run's project: `train` waits for its fine-tuning set's `prepare` and hashes that set's data.jsonl, the run's
 * own config, the base model's and GPU profile's configs, the trainer code and (for real training) the Python stack.
 * Its outputs are the adapter folder that evaluation cells with `adapter: <run>` depend on.
 */
export function trainProject(run: string, refs: TrainProjectRefs): ProjectConfiguration {
  const configs = [CONFIG_PATHS.train(run), ...(refs.model ? [CONFIG_PATHS.model(refs.model)] : []), ...(refs.gpu ? [CONFIG_PATHS.gpu(refs.gpu)] : [])];
  return {
    root: `configs/train/${run}`,
    name: projectName.train(run),
    projectType: 'application',
    tags: ['kind:train', `train:${run}`, ...(refs.model ? [`model:${refs.model}`] : [])],
    implicitDependencies: [...(refs.data ? [projectName.trainData(refs.data)] : []), ...(refs.model ? [projectName.model(refs.model)] : [])],
    targets: {
      train: {
        executor: '@evalgraph/plugin:train',
        options: { run },
        dependsOn: refs.data ? [{ projects: [projectName.trainData(refs.data)], target: 'prepare', params: 'ignore' as const }] : [],
        inputs: [
          ...configs.map((f) => ({ fileset: `{workspaceRoot}/${f}`, includeIgnored: true })),
          // The set itself, not its manifest: the manifest also names the evaluation sets it was checked against, so a
          // changed evaluation set re-runs the decontamination and retrains only if that changed the set.
          { dependentTasksOutputFiles: '**/data.jsonl', transitive: false },
          '{workspaceRoot}/libs/core/src/**/*',
          '{workspaceRoot}/libs/inference/src/train/**/*',
          '{workspaceRoot}/tools/trainer/**/*.py',
          '!{workspaceRoot}/tools/trainer/tests/**/*',
          '{workspaceRoot}/tools/evalgraph-plugin/src/executors/train/**/*',
          NOT_DOCS,
          { externalDependencies: ['zod', 'yaml'] },
          ...(refs.trainer === 'fake' ? [] : [TRAINER_RUNTIME_INPUT]),
        ],
        outputs: [`{workspaceRoot}/${trainOutDir(run)}`],
        cache: true,
        metadata: { description: `LoRA run ${run}${refs.model ? ` of ${refs.model}` : ''}${refs.data ? ` on ${refs.data}` : ''}${refs.trainer === 'fake' ? ' (fake trainer)' : ''}` },
      },
    },
  };
}
