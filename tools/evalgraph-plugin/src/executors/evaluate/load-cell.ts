import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CONFIG_PATHS, isBackendPlugin, loadNamed, MissingDependencyError, sha256, type DatasetRecord } from '@evalgraph/core';
import { readPrepared, readPreparedAux } from '@evalgraph/datasets';
import { loadDatasetPlugins, loadPlugin, type CellInput } from '@evalgraph/scoring';
import type { CellOptions } from '../../nodes/pipeline-project';
import { toolVersions } from '../../shared/versions';

/** Loads and validates everything one cell needs except its backend. */
export function loadCell(root: string, o: CellOptions): Omit<CellInput, 'backend'> {
  const model = loadNamed(root, 'model', o.model);
  const preset = loadNamed(root, 'preset', o.preset);
  const gpu = loadNamed(root, 'gpu', o.gpu);
  const dataset = loadNamed(root, 'dataset', o.dataset);
  const prepared = readPrepared(root, o.dataset);
  const aux: Record<string, unknown[]> = {};
  for (const role of ['fewshot', 'judge_prompts']) {
    const items = readPreparedAux(root, o.dataset, role);
    if (items) aux[role] = items;
  }
  // Keys are only ever read from the environment; a missing one must stop the cell before any server starts.
  for (const [who, name] of [['the judge', o.judge?.api_key_env], [`model ${o.model}'s endpoint`, o.backend === 'endpoint' ? model.api_key_env : undefined]] as const) {
    if (name && !process.env[name]) throw new MissingDependencyError(`${o.cell}: the API key of ${who} is not set (${name})`, `export ${name}=... (keys are read from the environment only)`);
  }
  // A plugin that does not load or lacks what the API requires fails here, before the cell's server starts.
  const plugins = [...loadDatasetPlugins(root, dataset), ...(isBackendPlugin(o.backend) ? [loadPlugin(root, o.backend, 'backend')] : [])];
  const fileHash = (p: string) => sha256(readFileSync(join(root, p)));
  return {
    root,
    pipeline: o.pipeline,
    cell: o.cell,
    variant: o.variant,
    modelName: o.model,
    model,
    modeName: o.mode,
    presetName: o.preset,
    preset,
    gpuName: o.gpu,
    gpu,
    datasetName: o.dataset,
    dataset,
    datasetSha256: prepared.manifest.sha256,
    records: prepared.records,
    aux,
    fewshotPool: aux.fewshot as DatasetRecord[] | undefined,
    englishOnly: o.englishOnly,
    sampleLimit: o.sampleLimit,
    maxTokens: o.maxTokens,
    samplesPerTask: o.samplesPerTask,
    seed: o.seed,
    maxErrorRate: o.maxErrorRate,
    resultsDir: o.resultsDir,
    configHashes: {
      model: fileHash(CONFIG_PATHS.model(o.model)),
      preset: fileHash(CONFIG_PATHS.preset(o.preset)),
      gpu: fileHash(CONFIG_PATHS.gpu(o.gpu)),
      dataset: fileHash(CONFIG_PATHS.dataset(o.dataset)),
      prepared: prepared.manifest.sha256,
    },
    // run.json names the plugin versions that produced the scores (built-in cells keep their exact record).
    versions: { ...toolVersions(root), ...Object.fromEntries(plugins.map((p) => [`plugin:${p.resolved.name}`, p.resolved.version])) },
  };
}
