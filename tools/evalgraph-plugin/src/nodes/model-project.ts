import type { ProjectConfiguration } from '@nx/devkit';
import { listConfigs, CONFIG_PATHS } from '@evalgraph/core';
import { externalDeps, GPU_RUNTIME_INPUT, NOT_DOCS, VLLM_RUNTIME_INPUT } from './inputs';

/** A model project: `validate` (every preset × GPU profile) and `coverage` (load, generate, measure, shut down). */
export function modelProject(root: string, name: string, chatTemplate?: string): Omit<ProjectConfiguration, 'root'> & { root: string } {
  const configInputs = [
    `{workspaceRoot}/${CONFIG_PATHS.model(name)}`,
    '{workspaceRoot}/configs/presets/*.yaml',
    '{workspaceRoot}/configs/gpus/*.yaml',
    ...(chatTemplate ? [`{workspaceRoot}/${chatTemplate}`] : []),
  ];
  const code = ['{workspaceRoot}/libs/core/src/**/*', '{workspaceRoot}/libs/inference/src/**/*', NOT_DOCS];
  return {
    root: `configs/models/${name}`,
    name: `model-${name}`,
    projectType: 'library',
    tags: ['kind:model', `model:${name}`],
    targets: {
      validate: {
        executor: '@evalgraph/plugin:validate',
        options: { model: name, presets: listConfigs(root, 'preset'), gpus: listConfigs(root, 'gpu') },
        // The vLLM version is an input: validate checks flags against the installed vLLM's own list.
        inputs: [...configInputs, ...code, '{workspaceRoot}/tools/evalgraph-plugin/src/executors/validate/**/*', externalDeps, VLLM_RUNTIME_INPUT],
        outputs: [`{workspaceRoot}/results/models/${name}/validate.json`],
        cache: true,
      },
      coverage: {
        executor: '@evalgraph/plugin:coverage',
        options: { model: name, presets: listConfigs(root, 'preset'), gpu: 'h100-80gb' },
        inputs: [...configInputs, ...code, '{workspaceRoot}/tools/evalgraph-plugin/src/executors/coverage/**/*', externalDeps, GPU_RUNTIME_INPUT, { runtime: 'node tools/evalgraph-plugin/bin/runtime-id.js vllm' }],
        outputs: [`{workspaceRoot}/results/models/${name}/coverage`],
        cache: true,
      },
    },
  };
}
