import { formatFiles, generateFiles, type Tree } from '@nx/devkit';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { CONFIG_PATHS, DatasetConfig, GpuProfile, ModelConfig, PipelineConfig, PLACEHOLDER_PREFIX, Preset, checkFit, type ConfigProblem } from '@evalgraph/core';
import { GeneratorError } from '../shared/generator-error';
import { parseOptions } from '../shared/options';
import { checkGenerated, listArgument, readTreeConfig, reportTodos, requireExisting, requireNewName } from '../shared/tree-configs';
import { PipelineGeneratorOptions } from './options';

type Options = ReturnType<typeof PipelineGeneratorOptions.parse>;

/** Refuses what `check` would refuse about the models themselves: a model that does not fit, or has no endpoint. */
function requireServable(tree: Tree, options: Options, models: string[]): void {
  const preset = readTreeConfig(tree, 'preset', options.preset, Preset).value;
  const gpu = readTreeConfig(tree, 'gpu', options.gpu, GpuProfile).value;
  for (const name of models) {
    const model = readTreeConfig(tree, 'model', name, ModelConfig).value;
    if (!model) continue; // its own problems are reported with the TODOs below
    if (options.backend === 'endpoint' && !model.endpoint) {
      throw new GeneratorError(`--backend endpoint: ${CONFIG_PATHS.model(name)} has no endpoint: — add endpoint: http://... there, or use --backend vllm or dummy`);
    }
    if (options.backend === 'vllm' && preset && gpu) {
      const fit = checkFit(model.architecture, preset, gpu);
      if (!fit.fits) throw new GeneratorError(`--models: ${name} with preset ${options.preset} does not fit ${options.gpu}: ${fit.reason} — use --preset memory-optimized or a larger --gpu`);
    }
  }
}

/** The pipeline to write: every model on every dataset, with a judge to fill in when a dataset needs one. */
function pipelineConfig(tree: Tree, options: Options, models: string[], datasets: string[]): Record<string, unknown> {
  const judged = datasets.filter((d) => readTreeConfig(tree, 'dataset', d, DatasetConfig).value?.scorer === 'mt-bench');
  const dummy = options.backend === 'dummy';
  return {
    description: `${models.join(', ')} on ${datasets.join(', ')}${dummy ? ' (dummy backend: proves the pipeline, measures no model)' : ''}.`,
    backend: options.backend,
    gpu: options.gpu,
    preset: options.preset,
    ...(options.sampleLimit !== undefined && { settings: { sample_limit: options.sampleLimit } }),
    models: models.map((model) => ({ model })),
    datasets,
    comparisons: [{ kind: 'matrix' }],
    // The dummy backend uses no GPU: memory and throughput gates would fail on numbers it never measures.
    ...(dummy && { gates: { min_throughput_tok_s: null, max_gpu_memory_fraction: null } }),
    ...(judged.length > 0 && !dummy && {
      judge: {
        endpoint: `${PLACEHOLDER_PREFIX} base URL of the OpenAI-compatible judge for ${judged.join(', ')}, e.g. https://api.openai.com/v1`,
        model: `${PLACEHOLDER_PREFIX} the judge model's name, e.g. gpt-4`,
        api_key_env: `${PLACEHOLDER_PREFIX} the env var holding the judge's API key (never the key), or delete this line`,
      },
    }),
  };
}

/** `nx g @evalgraph/plugin:pipeline <name> --models a,b --datasets x,y [--backend ...] [--gpu ...] [--preset ...]`. */
export default async function pipelineGenerator(tree: Tree, raw: PipelineGeneratorOptions): Promise<void> {
  const options = parseOptions(PipelineGeneratorOptions, raw);
  requireNewName(tree, 'pipeline', options.name);
  const models = listArgument(options.models, '--models');
  const datasets = listArgument(options.datasets, '--datasets');
  for (const m of models) requireExisting(tree, 'model', m, '--models');
  for (const d of datasets) requireExisting(tree, 'dataset', d, '--datasets');
  requireExisting(tree, 'gpu', options.gpu, '--gpu');
  requireExisting(tree, 'preset', options.preset, '--preset');
  requireServable(tree, options, models);
  const body = stringify(pipelineConfig(tree, options, models, datasets), { lineWidth: 0 }).trimEnd();
  const command = ['nx g @evalgraph/plugin:pipeline', options.name, `--models ${models.join(',')}`, `--datasets ${datasets.join(',')}`, `--backend ${options.backend}`, `--gpu ${options.gpu}`, `--preset ${options.preset}`, options.sampleLimit && `--sample-limit ${options.sampleLimit}`].filter(Boolean).join(' ');
  generateFiles(tree, join(__dirname, 'files'), 'pipelines', { name: options.name, command, body, todo: body.includes(PLACEHOLDER_PREFIX) });
  // `check` also loads every config the pipeline uses: their own TODOs are left too.
  const left: ConfigProblem[] = [
    ...checkGenerated(tree, 'pipeline', options.name, PipelineConfig),
    ...models.flatMap((m) => readTreeConfig(tree, 'model', m, ModelConfig).problems),
    ...datasets.flatMap((d) => readTreeConfig(tree, 'dataset', d, DatasetConfig).problems),
  ];
  if (!options.skipFormat) await formatFiles(tree);
  reportTodos(left, `npx nx run pipeline-${options.name}:check`);
}
