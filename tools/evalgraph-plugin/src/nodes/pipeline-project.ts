import type { ProjectConfiguration, TargetConfiguration } from '@nx/devkit';
import { CONFIG_PATHS, pipelineAdapters, type Judge, type PipelineConfig, type ResolvedCell, type ResolvedPipeline, type ResolvedPlugin, type ScorerRef } from '@evalgraph/core';
import { cellCodeInputs, cellConfigInputs, externalDeps, NOT_DOCS, pluginInputs, runsSandbox, SANDBOX_RUNTIME_INPUT, VLLM_RUNTIME_INPUT } from './inputs';
import { projectName } from './project-names';

/**
 * Options of one cell target: everything that decides the cell's result, so Nx hashes exactly that. The fields
 * come from ResolvedCell (settings renamed to camelCase, `key` as `cell`) so the two cannot drift apart.
 */
export interface CellOptions extends Pick<ResolvedCell, 'pipeline' | 'variant' | 'model' | 'mode' | 'preset' | 'dataset' | 'gpu' | 'backend' | 'englishOnly' | 'resultsDir'> {
  cell: ResolvedCell['key'];
  sampleLimit: ResolvedCell['settings']['sample_limit'];
  maxTokens?: ResolvedCell['settings']['max_tokens'];
  samplesPerTask?: ResolvedCell['settings']['samples_per_task'];
  seed?: ResolvedCell['settings']['seed'];
  maxErrorRate: PipelineConfig['gates']['max_error_rate'];
  /** The judge of judged datasets (endpoint, model): part of the hash since it decides the scores. */
  judge?: Judge;
  /** The LoRA run whose adapter the cell evaluates (its adapter files are an input through the train dependency). */
  adapter?: ResolvedCell['adapter'];
}

const uniquePlugins = (plugins: (ResolvedPlugin | null)[]): ResolvedPlugin[] => [...new Map(plugins.filter((p): p is ResolvedPlugin => p !== null).map((p) => [p.dir, p])).values()];

/** Adapter cells hash the adapter their `train` dependency wrote (weights and adapter_config.json). */
const ADAPTER_FILES = '**/adapter/*';

const pipelineCode = (target: string) => [
  '{workspaceRoot}/libs/core/src/**/*',
  '{workspaceRoot}/libs/analysis/src/**/*',
  '{workspaceRoot}/libs/report/src/**/*',
  `{workspaceRoot}/tools/evalgraph-plugin/src/executors/${target}/**/*`,
  NOT_DOCS,
];

/**
 * A pipeline project: one target per cell, `evaluate` (all cells), `check`, `compare`, `report`, `readiness`.
 * Each cell's inputs are its own configs, its dataset's prepared manifest, its code and the runtime identity —
 * never the whole pipeline file — so editing one cell or one dataset leaves the others cached.
 */
export function pipelineProjects(
  name: string,
  resolved: ResolvedPipeline,
  scorers: Record<string, ScorerRef | undefined>,
  chatTemplates: Record<string, string | undefined>,
  scorerPlugins: Record<string, ResolvedPlugin | null> = {},
  backendPlugins: Record<string, ResolvedPlugin | null> = {},
): Record<string, ProjectConfiguration> {
  const targets: Record<string, TargetConfiguration> = {};
  const pipelineFile = `{workspaceRoot}/${CONFIG_PATHS.pipeline(name)}`;
  const referenced = [
    pipelineFile,
    ...resolved.models.map((m) => `{workspaceRoot}/${CONFIG_PATHS.model(m)}`),
    ...resolved.datasets.map((d) => `{workspaceRoot}/${CONFIG_PATHS.dataset(d)}`),
    ...resolved.presets.map((p) => `{workspaceRoot}/${CONFIG_PATHS.preset(p)}`),
    `{workspaceRoot}/${CONFIG_PATHS.gpu(resolved.config.gpu)}`,
    ...pipelineAdapters(resolved).map((a) => `{workspaceRoot}/${CONFIG_PATHS.train(a)}`),
  ];
  targets.check = {
    executor: '@evalgraph/plugin:check',
    options: { pipeline: name },
    // Gathering every prepare here lets all cells start together, so the batch executor sees the whole pipeline at
    // once and starts one server per model (waiting on each cell's own prepare instead split a first run into one
    // batch, and one server start, per finished prepare; test/runtime/servers.test.ts). A prepare whose source cannot
    // be reached succeeds here and leaves its error for its own cells, so it stops only them (prepare/executor.ts).
    // Training runs are gathered the same way: an adapter cell arriving after the base cells' batch would start the
    // model's server a second time, now with the adapter.
    dependsOn: [
      ...resolved.datasets.map((d) => ({ projects: [projectName.dataset(d)], target: 'prepare', params: 'ignore' as const })),
      ...pipelineAdapters(resolved).map((a) => ({ projects: [projectName.train(a)], target: 'train', params: 'ignore' as const })),
    ],
    inputs: [
      ...referenced,
      '{workspaceRoot}/libs/core/src/**/*',
      '{workspaceRoot}/libs/scoring/src/plugins/**/*',
      '{workspaceRoot}/tools/evalgraph-plugin/src/executors/check/**/*',
      // check compares the storage setting with Nx's cache location (storageMismatch): either changing re-runs it.
      { fileset: '{workspaceRoot}/configs/storage.yaml', includeIgnored: true },
      { env: 'NX_CACHE_DIRECTORY' },
      { env: 'NX_WORKSPACE_DATA_DIRECTORY' },
      { env: 'NX_SELF_HOSTED_REMOTE_CACHE_SERVER' },
      NOT_DOCS,
      externalDeps,
      // check loads every plugin the datasets name, so fixing a broken plugin must re-run it.
      ...uniquePlugins([...Object.values(scorerPlugins), ...Object.values(backendPlugins)]).flatMap(pluginInputs),
    ],
    outputs: [],
    cache: true,
  };
  // Targets whose work is elsewhere (noops over cells) or never cached: the pipeline file is all they hash.
  const noopInputs = [pipelineFile];
  const cells: Record<string, ProjectConfiguration> = {};
  for (const cell of resolved.cells) {
    const options: CellOptions = {
      pipeline: name,
      cell: cell.key,
      variant: cell.variant,
      model: cell.model,
      mode: cell.mode,
      preset: cell.preset,
      dataset: cell.dataset,
      gpu: cell.gpu,
      backend: cell.backend,
      englishOnly: cell.englishOnly,
      sampleLimit: cell.settings.sample_limit,
      ...(cell.settings.max_tokens !== undefined && { maxTokens: cell.settings.max_tokens }),
      ...(cell.settings.samples_per_task !== undefined && { samplesPerTask: cell.settings.samples_per_task }),
      ...(cell.settings.seed !== undefined && { seed: cell.settings.seed }),
      maxErrorRate: resolved.config.gates.max_error_rate,
      resultsDir: cell.resultsDir,
      ...(scorers[cell.dataset] === 'mt-bench' && resolved.config.judge && { judge: resolved.config.judge }),
      ...(cell.adapter !== undefined && { adapter: cell.adapter }),
    };
    const cellProjectName = projectName.cell(name, cell.variant, cell.dataset);
    cells[`pipelines/${name}/cells/${cell.variant}/${cell.dataset}`] = cellProject(cellProjectName, name, cell, options, scorers[cell.dataset], chatTemplates[cell.model], scorerPlugins[cell.dataset] ?? null, backendPlugins[cell.backend] ?? null);
    // The pipeline keeps a target per cell so `nx show project` lists them and `nx run pipeline-x:evaluate-...` works.
    targets[cell.target] = {
      executor: 'nx:noop',
      dependsOn: [{ projects: [cellProjectName], target: 'evaluate', params: 'forward' }],
      inputs: noopInputs,
      cache: true,
      metadata: { description: `${cell.variant} (${cell.model}, ${cell.mode}, ${cell.preset}) on ${cell.dataset}` },
    };
  }
  targets.evaluate = {
    executor: 'nx:noop',
    dependsOn: resolved.cells.map((c) => ({ projects: [projectName.cell(name, c.variant, c.dataset)], target: 'evaluate', params: 'forward' as const })),
    inputs: noopInputs,
    cache: true,
    metadata: { description: `all ${resolved.cells.length} cells of ${name}` },
  };
  targets.compare = {
    executor: '@evalgraph/plugin:compare',
    options: { pipeline: name },
    dependsOn: ['evaluate'],
    inputs: [pipelineFile, { dependentTasksOutputFiles: '**/*.{json,jsonl}', transitive: true }, ...pipelineCode('compare'), externalDeps],
    outputs: [`{workspaceRoot}/results/${name}/compare`],
    cache: true,
  };
  targets.report = {
    executor: '@evalgraph/plugin:report',
    options: { pipeline: name },
    dependsOn: ['compare'],
    inputs: [pipelineFile, { dependentTasksOutputFiles: '**/*.{json,jsonl}', transitive: true }, ...pipelineCode('report'), { externalDependencies: ['vega', 'vega-lite', 'ajv'] }],
    outputs: [`{workspaceRoot}/results/${name}/candidate`],
    cache: true,
  };
  targets.readiness = {
    executor: '@evalgraph/plugin:readiness',
    options: { pipeline: name },
    dependsOn: ['report'],
    inputs: noopInputs,
    cache: false,
  };
  targets['report-rollback'] = { executor: '@evalgraph/plugin:rollback', options: { pipeline: name }, inputs: noopInputs, cache: false };
  return {
    [`pipelines/${name}`]: {
      root: `pipelines/${name}`,
      name: projectName.pipeline(name),
      projectType: 'application',
      tags: ['kind:pipeline', `pipeline:${name}`],
      // The training runs too, so `nx affected` after a training-data or run edit selects the pipeline and its report,
      // not only the adapter's cells. Hence no target here hashes Nx's default inputs: they walk implicit
      // dependencies' files, and a run's project has a virtual root ("project train-<run> not found").
      implicitDependencies: [...resolved.models.map(projectName.model), ...resolved.datasets.map(projectName.dataset), ...pipelineAdapters(resolved).map(projectName.train)],
      targets,
    },
    ...cells,
  };
}

/**
 * One project per cell. Nx hashes a task's whole project configuration (every target's options), so a cell
 * that shared a project with its siblings would be invalidated by any sibling's settings; alone, it is not.
 */
function cellProject(
  project: string,
  pipeline: string,
  cell: ResolvedPipeline['cells'][number],
  options: CellOptions,
  scorer: ScorerRef | undefined,
  template: string | undefined,
  plugin: ResolvedPlugin | null,
  backendPlugin: ResolvedPlugin | null,
): ProjectConfiguration {
  return {
    root: `pipelines/${pipeline}/cells/${cell.variant}/${cell.dataset}`,
    name: project,
    projectType: 'application',
    tags: ['kind:cell', `pipeline:${pipeline}`, `model:${cell.model}`, `dataset:${cell.dataset}`],
    implicitDependencies: [projectName.model(cell.model), projectName.dataset(cell.dataset), ...(cell.adapter !== undefined ? [projectName.train(cell.adapter)] : [])],
    targets: {
      evaluate: {
        executor: '@evalgraph/plugin:evaluate',
        options,
        dependsOn: [
          { projects: [projectName.pipeline(pipeline)], target: 'check', params: 'ignore' },
          { projects: [projectName.dataset(cell.dataset)], target: 'prepare', params: 'ignore' },
          ...(cell.adapter !== undefined ? [{ projects: [projectName.train(cell.adapter)], target: 'train', params: 'ignore' as const }] : []),
        ],
        inputs: [
          ...cellConfigInputs([CONFIG_PATHS.model(cell.model), ...(template ? [template] : []), CONFIG_PATHS.preset(cell.preset), CONFIG_PATHS.gpu(cell.gpu), CONFIG_PATHS.dataset(cell.dataset)]),
          { dependentTasksOutputFiles: '**/manifest.json', transitive: false },
          ...(cell.adapter !== undefined ? [{ dependentTasksOutputFiles: ADAPTER_FILES, transitive: false }] : []),
          ...cellCodeInputs(scorer, plugin),
          ...(backendPlugin ? ['{workspaceRoot}/libs/scoring/src/plugins/**/*', ...pluginInputs(backendPlugin)] : []),
          externalDeps,
          ...(cell.backend === 'vllm' ? [VLLM_RUNTIME_INPUT] : []),
          ...(runsSandbox(scorer) ? [SANDBOX_RUNTIME_INPUT] : []),
        ],
        outputs: [`{workspaceRoot}/${cell.resultsDir}`],
        cache: true,
        metadata: { description: `${cell.variant} (${cell.model}, ${cell.mode}, ${cell.preset}) on ${cell.dataset}` },
      },
    },
  };
}

/**
 * The projects of a pipeline whose config (or a config it uses) is broken. Nx answers a thrown createNodes error with
 * "Failed to process project graph" for every command and every pipeline, and a target a project lacks with "Cannot
 * find configuration for task", so the broken pipeline keeps every target a user may call, and every cell its file
 * still declares: each waits on `check`, the one task that runs, prints the config error and fails. Nothing here is
 * cached (`cache: false`), so no result is ever recorded under a broken project's hash.
 */
export function brokenPipelineProjects(name: string, cells: { variant: string; dataset: string }[] = []): Record<string, ProjectConfiguration> {
  const check = { projects: [projectName.pipeline(name)], target: 'check', params: 'ignore' as const };
  // `inputs: []`: a cell's root is a virtual folder, and Nx's hasher fails ("project not found") on its default inputs.
  const waiting = (description: string): TargetConfiguration => ({ executor: 'nx:noop', dependsOn: [check], inputs: [], cache: false, metadata: { description } });
  const why = 'not run: the pipeline config is broken (see check)';
  const targets: Record<string, TargetConfiguration> = {
    check: { executor: '@evalgraph/plugin:check', options: { pipeline: name, broken: true }, cache: false },
    evaluate: waiting(why),
    compare: waiting(why),
    report: waiting(why),
    readiness: waiting(why),
    // Rolling back the published report needs no config, so it keeps working while one is broken.
    'report-rollback': { executor: '@evalgraph/plugin:rollback', options: { pipeline: name }, cache: false },
  };
  const projects: Record<string, ProjectConfiguration> = {};
  for (const { variant, dataset } of cells) {
    targets[`evaluate-${variant}-${dataset}`] = waiting(why);
    projects[`pipelines/${name}/cells/${variant}/${dataset}`] = {
      root: `pipelines/${name}/cells/${variant}/${dataset}`,
      name: projectName.cell(name, variant, dataset),
      projectType: 'application',
      tags: ['kind:cell', `pipeline:${name}`, `dataset:${dataset}`],
      targets: { evaluate: waiting(why) },
    };
  }
  return {
    [`pipelines/${name}`]: { root: `pipelines/${name}`, name: projectName.pipeline(name), projectType: 'application', tags: ['kind:pipeline', `pipeline:${name}`], targets },
    ...projects,
  };
}
