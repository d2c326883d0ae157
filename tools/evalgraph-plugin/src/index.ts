import type { CreateNodes, CreateNodesResult } from '@nx/devkit';
import { relative, isAbsolute } from 'node:path';
import { ConfigError, DOWNLOADS_DIR, storageLayout, sourceFilesPresent, declaredCells, isBackendPlugin, isFormatPlugin, listConfigs, tryLoad, resolvePipeline, type ConfigProblem, type DatasetConfig, type ResolvedPlugin, type ScorerRef } from '@evalgraph/core';
import { modelProject } from './nodes/model-project';
import { datasetProject } from './nodes/dataset-project';
import { pipelineProjects, brokenPipelineProjects } from './nodes/pipeline-project';
import { findPlugin, scorerPlugin } from './nodes/inputs';
import { trainDataProject } from './nodes/train-data-project';
import { trainProject } from './nodes/train-project';

const PATTERN = /^(configs\/models\/([^/]+)\/model\.yaml|configs\/datasets\/([^/]+)\/dataset\.yaml|pipelines\/([^/]+)\/pipeline\.yaml|configs\/train-data\/([^/]+)\.yaml|configs\/train\/([^/]+)\.yaml)$/;

/** Infers model-*, dataset-*, pipeline-*, train-data-* and train-* projects from config files. */
export const createNodes: CreateNodes = [
  '{configs/models/*/model.yaml,configs/datasets/*/dataset.yaml,pipelines/*/pipeline.yaml,configs/train-data/*.yaml,configs/train/*.yaml}',
  (files, _options, context) => {
    const root = context.workspaceRoot;
    const downloads = downloadsForProbe(root);
    const datasetCache = new Map<string, DatasetConfig | undefined>();
    const datasetOf = (d: string) => {
      if (!datasetCache.has(d)) datasetCache.set(d, tryLoad(root, 'dataset', d, []).value);
      return datasetCache.get(d);
    };
    const scorerOf = (d: string): ScorerRef | undefined => datasetOf(d)?.scorer;
    // Resolving a plugin reads its package.json only; its code runs in check and in the cells, never here.
    const pluginCache = new Map<string, ResolvedPlugin | null>();
    const pluginOf = (d: string) => {
      if (!pluginCache.has(d)) pluginCache.set(d, scorerPlugin(root, scorerOf(d)));
      return pluginCache.get(d) ?? null;
    };
    return files.map((file) => {
      const m = PATTERN.exec(file);
      let result: CreateNodesResult = {};
      if (m?.[2]) {
        const model = tryLoad(root, 'model', m[2], []).value;
        result = { projects: { [`configs/models/${m[2]}`]: modelProject(root, m[2], model?.chat_template) } };
      } else if (m?.[3]) {
        const config = datasetOf(m[3]);
        const here = config !== undefined && sourceFilesPresent(root, config, downloads);
        result = { projects: { [`configs/datasets/${m[3]}`]: datasetProject(m[3], config, findPlugin(root, config?.format, (f) => !isFormatPlugin(f)), downloads, here) } };
      } else if (m?.[5]) {
        // A broken config still gets its project (depending on every dataset); its prepare prints the problem.
        const known = listConfigs(root, 'dataset');
        const wanted = tryLoad(root, 'train-data', m[5], []).value?.decontamination.datasets;
        const evalDatasets = Array.isArray(wanted) ? wanted.filter((d) => known.includes(d)) : known;
        result = { projects: { [`configs/train-data/${m[5]}`]: trainDataProject(m[5], evalDatasets) } };
      } else if (m?.[6]) {
        // Only references that exist become edges: Nx fails the whole graph on an edge to a missing project.
        const cfg = tryLoad(root, 'train', m[6], []).value;
        const has = (kind: 'model' | 'train-data' | 'gpu', v: string | undefined) => (v && listConfigs(root, kind).includes(v) ? v : undefined);
        result = { projects: { [`configs/train/${m[6]}`]: trainProject(m[6], { model: has('model', cfg?.model), data: has('train-data', cfg?.data), gpu: has('gpu', cfg?.gpu), trainer: cfg?.trainer }) } };
      } else if (m?.[4]) {
        const name = m[4];
        try {
          const resolved = resolvePipeline(root, name);
          const scorers = Object.fromEntries(resolved.datasets.map((d) => [d, scorerOf(d)]));
          const templates = Object.fromEntries(resolved.models.map((mm) => [mm, tryLoad(root, 'model', mm, [] as ConfigProblem[]).value?.chat_template]));
          const plugins = Object.fromEntries(resolved.datasets.map((d) => [d, pluginOf(d)]));
          const backends = Object.fromEntries([...new Set(resolved.variants.map((v) => v.backend))].map((b) => [b, findPlugin(root, b, (x) => !isBackendPlugin(x))]));
          result = { projects: pipelineProjects(name, resolved, scorers, templates, plugins, backends) };
        } catch (e) {
          if (!(e instanceof ConfigError)) throw e;
          result = { projects: brokenPipelineProjects(name, declaredCells(root, name)) };
        }
      }
      return [file, result] as const;
    });
  },
];

/** The download cache as the prepare probes name it (relative inside the workspace); a broken storage.yaml fails check. */
function downloadsForProbe(root: string): string {
  try {
    const { downloads } = storageLayout(root);
    const rel = relative(root, downloads);
    return rel.startsWith('..') || isAbsolute(rel) ? downloads : rel;
  } catch (e) {
    if (e instanceof ConfigError) return DOWNLOADS_DIR;
    throw e;
  }
}

export const name = '@evalgraph/plugin';
