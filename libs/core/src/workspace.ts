import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { z } from 'zod';
import { ConfigError, type ConfigProblem } from './errors';
import { didYouMean } from './did-you-mean';
import { readYaml, checkSource, type YamlSource } from './load';
import { ModelConfig } from './schemas/model';
import { Preset } from './schemas/preset';
import { GpuProfile } from './schemas/gpu';
import { DatasetConfig } from './schemas/dataset';
import { PipelineConfig as PipelineSchema, type BackendRef, type CellSettings, type PipelineConfig } from './schemas/pipeline';
import { planTensorParallel } from './tensor-parallel';
import { TrainConfig, TrainDataConfig } from './schemas/train';

/** Where each kind of config lives, relative to the workspace root. */
export const CONFIG_PATHS = {
  model: (name: string) => `configs/models/${name}/model.yaml`,
  dataset: (name: string) => `configs/datasets/${name}/dataset.yaml`,
  preset: (name: string) => `configs/presets/${name}.yaml`,
  gpu: (name: string) => `configs/gpus/${name}.yaml`,
  pipeline: (name: string) => `pipelines/${name}/pipeline.yaml`,
  'train-data': (name: string) => `configs/train-data/${name}.yaml`,
  train: (name: string) => `configs/train/${name}.yaml`,
} as const;
export type ConfigKind = keyof typeof CONFIG_PATHS;

/** The hint for a config name that does not exist: the nearest known name, or where to add it. */
export function missingConfigHint(kind: ConfigKind, name: string, known: string[]): string {
  const guess = didYouMean(name, known);
  return guess ? `did you mean "${guess}"?` : `add ${CONFIG_PATHS[kind](name)} or fix the name`;
}

/** Names of the configs of one kind present on disk. */
export function listConfigs(root: string, kind: ConfigKind): string[] {
  const dir = { model: 'configs/models', dataset: 'configs/datasets', preset: 'configs/presets', gpu: 'configs/gpus', pipeline: 'pipelines', 'train-data': 'configs/train-data', train: 'configs/train' }[kind];
  const abs = join(root, dir);
  if (!existsSync(abs)) return [];
  const entries = readdirSync(abs, { withFileTypes: true });
  if (kind === 'preset' || kind === 'gpu' || kind === 'train-data' || kind === 'train') {
    return entries.filter((e) => e.isFile() && e.name.endsWith('.yaml')).map((e) => e.name.slice(0, -5)).sort();
  }
  return entries.filter((e) => e.isDirectory() && existsSync(join(root, CONFIG_PATHS[kind](e.name)))).map((e) => e.name).sort();
}

const SCHEMAS = { model: ModelConfig, dataset: DatasetConfig, preset: Preset, gpu: GpuProfile, pipeline: PipelineSchema, 'train-data': TrainDataConfig, train: TrainConfig } as const;
type Loaded<K extends ConfigKind> = z.output<(typeof SCHEMAS)[K]>;

/** Loads one config by kind and name; problems are collected, not thrown, so all are reported at once. */
export function tryLoad<K extends ConfigKind>(root: string, kind: K, name: string, problems: ConfigProblem[]): { value?: Loaded<K>; src?: YamlSource } {
  let src: YamlSource;
  try {
    src = readYaml(join(root, CONFIG_PATHS[kind](name)), root);
  } catch (e) {
    if (e instanceof ConfigError) {
      problems.push(...e.problems);
      return {};
    }
    throw e;
  }
  const checked = checkSource(src, SCHEMAS[kind] as z.ZodType);
  if (checked.problems.length) {
    problems.push(...checked.problems);
    return { src };
  }
  return { value: checked.value as Loaded<K>, src };
}

/** Loads one config or throws ConfigError. */
export function loadNamed<K extends ConfigKind>(root: string, kind: K, name: string): Loaded<K> {
  const problems: ConfigProblem[] = [];
  const { value } = tryLoad(root, kind, name, problems);
  if (problems.length || !value) throw new ConfigError(problems);
  return value;
}

/** One evaluation cell: one model variant on one dataset. */
export interface ResolvedCell {
  pipeline: string;
  /** Nx target name, e.g. "evaluate-qwen3-8b-gsm8k". */
  target: string;
  /** "<variant>/<dataset>", the key used in pipeline.yaml `cells:`. */
  key: string;
  variant: string;
  model: string;
  mode: string;
  preset: string;
  dataset: string;
  gpu: string;
  /** A built-in backend or a backend plugin reference. */
  backend: BackendRef;
  englishOnly: boolean;
  /** The LoRA run (configs/train/<run>.yaml) whose adapter this cell evaluates, if any. */
  adapter?: string;
  settings: Required<Pick<CellSettings, 'sample_limit'>> & CellSettings;
  /** results/<pipeline>/<variant>/<preset>/<dataset> */
  resultsDir: string;
}

export interface ResolvedPipeline {
  name: string;
  config: PipelineConfig;
  cells: ResolvedCell[];
  variants: { id: string; model: string; mode: string; preset: string; englishOnly: boolean; backend: ResolvedCell['backend']; adapter?: string; settings?: CellSettings }[];
  models: string[];
  datasets: string[];
  presets: string[];
}


/** The LoRA runs whose adapters a pipeline evaluates. */
export function pipelineAdapters(p: ResolvedPipeline): string[] {
  return [...new Set(p.variants.flatMap((v) => (v.adapter === undefined ? [] : [v.adapter])))];
}

/** Default sample limit when nothing sets one: the whole split. */
export const UNLIMITED = 1_000_000;

/** The variant id of `cfg.models[i]`: its `id`, else the model name, plus what tells it from the same model's other entries. */
function variantId(cfg: PipelineConfig, i: number): string {
  const entry = cfg.models[i];
  let id = entry.id ?? entry.model;
  if (!entry.id && cfg.models.filter((m) => m.model === entry.model).length > 1) {
    if (entry.mode) id += `-${entry.mode}`;
    if (entry.preset && entry.preset !== cfg.preset) id += `-${entry.preset}`;
    if (entry.english_only) id += '-en';
  }
  // An adapter's variant is never mistaken for its base model's.
  if (!entry.id && entry.adapter) id += `-${entry.adapter}`;
  return id;
}

/**
 * The cells (variant, dataset) a pipeline declares, read from its own file alone, or undefined when that file is
 * itself invalid. Lets a tool name every cell while a model, dataset or preset the pipeline uses is broken.
 */
export function declaredCells(root: string, name: string): { variant: string; dataset: string }[] | undefined {
  const cfg = tryLoad(root, 'pipeline', name, []).value;
  if (!cfg) return undefined;
  const variants = [...new Set(cfg.models.map((_, i) => variantId(cfg, i)))];
  const datasets = [...new Set(cfg.datasets.map((d) => (typeof d === 'string' ? d : d.dataset)))];
  return variants.flatMap((variant) => datasets.map((dataset) => ({ variant, dataset })));
}

/**
 * Resolves a pipeline into cells and checks every reference (model, mode, preset, dataset, GPU, cell key)
 * and whether each model × preset fits the GPU. Throws one ConfigError listing every problem.
 */
export function resolvePipeline(root: string, name: string): ResolvedPipeline {
  const problems: ConfigProblem[] = [];
  const { value: cfg, src } = tryLoad(root, 'pipeline', name, problems);
  if (!cfg || !src) throw new ConfigError(problems);
  const file = src.file;
  const known = {
    model: listConfigs(root, 'model'),
    dataset: listConfigs(root, 'dataset'),
    preset: listConfigs(root, 'preset'),
    gpu: listConfigs(root, 'gpu'),
  };
  const ref = (kind: keyof typeof known, value: string, path: (string | number)[]): boolean => {
    if (known[kind].includes(value)) return true;
    problems.push({
      file,
      field: path.join('.'),
      line: src.lineOf(path),
      expected: `a ${kind} under ${CONFIG_PATHS[kind]('<name>').replace('/<name>', '').replace('<name>.yaml', '')} (${known[kind].join(', ') || 'none exist'})`,
      found: `"${value}"`,
      hint: missingConfigHint(kind, value, known[kind]),
    });
    return false;
  };

  ref('gpu', cfg.gpu, ['gpu']);
  const gpu = known.gpu.includes(cfg.gpu) ? tryLoad(root, 'gpu', cfg.gpu, problems).value : undefined;
  const presetCache = new Map<string, ReturnType<typeof tryLoad<'preset'>>['value']>();
  const modelCache = new Map<string, ReturnType<typeof tryLoad<'model'>>['value']>();

  const variants: ResolvedPipeline['variants'] = [];
  const seenIds = new Map<string, number>();
  cfg.models.forEach((entry, i) => {
    if (!ref('model', entry.model, ['models', i, 'model'])) return;
    if (!modelCache.has(entry.model)) modelCache.set(entry.model, tryLoad(root, 'model', entry.model, problems).value);
    const model = modelCache.get(entry.model);
    const presetName = entry.preset ?? cfg.preset;
    if (!ref('preset', presetName, entry.preset ? ['models', i, 'preset'] : ['preset'])) return;
    if (!presetCache.has(presetName)) presetCache.set(presetName, tryLoad(root, 'preset', presetName, problems).value);
    const preset = presetCache.get(presetName);
    if (!model) return;
    const mode = entry.mode ?? model.default_mode;
    if (!(mode in model.modes)) {
      const guess = didYouMean(mode, Object.keys(model.modes));
      problems.push({ file, field: `models.${i}.mode`, line: src.lineOf(['models', i, 'mode']), expected: `a mode of ${entry.model} (${Object.keys(model.modes).join(', ')})`, found: `"${mode}"`, hint: guess ? `did you mean "${guess}"?` : undefined });
      return;
    }
    const backend = entry.backend ?? (model.endpoint ? 'endpoint' : cfg.backend);
    if (entry.english_only && !model.english_only.supported) {
      problems.push({ file, field: `models.${i}.english_only`, line: src.lineOf(['models', i, 'english_only']), expected: `false (${entry.model} has no English-only token filter)`, found: 'true', hint: 'only Qwen3 models support it' });
    }
    if (cfg.production && backend === 'dummy') {
      problems.push({ file, field: `models.${i}.backend`, line: src.lineOf(['models', i]), expected: 'vllm or endpoint in a production pipeline', found: '"dummy"', hint: 'set production: false or use a real backend' });
    }
    if (entry.adapter !== undefined) {
      const runs = listConfigs(root, 'train');
      const at = ['models', i, 'adapter'];
      if (!runs.includes(entry.adapter)) {
        problems.push({ file, field: at.join('.'), line: src.lineOf(at), expected: `a LoRA run under configs/train (${runs.join(', ') || 'none exist'})`, found: `"${entry.adapter}"`, hint: missingConfigHint('train', entry.adapter, runs) });
      } else {
        const run = tryLoad(root, 'train', entry.adapter, problems).value;
        if (run && run.model !== entry.model) {
          problems.push({ file, field: at.join('.'), line: src.lineOf(at), expected: `a LoRA run of ${entry.model}`, found: `"${entry.adapter}", a run of ${run.model} (${CONFIG_PATHS.train(entry.adapter)})`, hint: `use model: ${run.model} for this entry, or an adapter trained on ${entry.model}` });
        }
      }
      if (backend === 'endpoint') {
        problems.push({ file, field: at.join('.'), line: src.lineOf(at), expected: 'a vllm or dummy backend (evalgraph loads adapters only into servers it starts)', found: 'backend endpoint', hint: 'remove adapter: or the endpoint' });
      }
    }
    if (backend === 'endpoint' && !model.endpoint) {
      problems.push({ file, field: `models.${i}.backend`, line: src.lineOf(['models', i, 'backend']), expected: `a model with an endpoint (${CONFIG_PATHS.model(entry.model)} has none)`, found: '"endpoint"', hint: 'add endpoint: http://... to the model config' });
    }
    if (gpu && preset && backend === 'vllm') {
      // Several GPUs: a model that does not fit one may span several (tensor parallel), never more than `count`.
      const tp = planTensorParallel(model, preset, gpu);
      if (tp.problem) {
        const hint = tp.source === 'config' && tp.size > gpu.count
          ? `use a GPU profile with count >= ${tp.size} (${CONFIG_PATHS.gpu(cfg.gpu)}: count) or lower vllm_args.tensor_parallel_size in ${CONFIG_PATHS.model(entry.model)}`
          : 'choose a smaller preset (memory-optimized), a larger GPU profile or one with more GPUs (count), or a shorter max_model_len';
        problems.push({ file, field: `models.${i}`, line: src.lineOf(['models', i]), expected: `${entry.model} with preset ${presetName} to fit ${cfg.gpu}`, found: `it does not: ${tp.problem}`, hint });
      }
    }
    const id = variantId(cfg, i);
    if (seenIds.has(id)) {
      problems.push({ file, field: `models.${i}.id`, line: src.lineOf(['models', i]), expected: `a variant id not used by models.${seenIds.get(id)}`, found: `"${id}"`, hint: 'give each entry of the same model a distinct id, mode, preset or english_only' });
      return;
    }
    seenIds.set(id, i);
    variants.push({ id, model: entry.model, mode, preset: presetName, englishOnly: entry.english_only, backend, ...(entry.adapter !== undefined && { adapter: entry.adapter }), settings: entry.settings });
  });

  const datasetEntries = cfg.datasets.map((d) => (typeof d === 'string' ? { dataset: d, settings: undefined } : d));
  const seenDatasets = new Set<string>();
  const judged: string[] = [];
  datasetEntries.forEach((d, i) => {
    if (seenDatasets.has(d.dataset)) {
      problems.push({ file, field: `datasets.${i}`, line: src.lineOf(['datasets', i]), expected: 'each dataset once', found: `"${d.dataset}" again`, hint: 'remove the duplicate' });
    }
    seenDatasets.add(d.dataset);
    if (ref('dataset', d.dataset, typeof cfg.datasets[i] === 'string' ? ['datasets', i] : ['datasets', i, 'dataset'])) {
      if (tryLoad(root, 'dataset', d.dataset, problems).value?.scorer === 'mt-bench') judged.push(d.dataset);
    }
  });
  if (judged.length && !cfg.judge && variants.some((v) => v.backend !== 'dummy')) {
    problems.push({ file, field: 'judge', line: src.lineOf([]), expected: `a judge for ${judged.join(', ')} (graded by a judge model)`, found: 'none', hint: 'add judge: { endpoint: https://..., model: gpt-4, api_key_env: OPENAI_API_KEY }' });
  }

  const cellKeys = new Set(variants.flatMap((v) => datasetEntries.map((d) => `${v.id}/${d.dataset}`)));
  for (const key of Object.keys(cfg.cells)) {
    if (!cellKeys.has(key)) {
      const guess = didYouMean(key, cellKeys);
      problems.push({ file, field: `cells.${key}`, line: src.lineOf(['cells', key]), expected: 'a cell "<variant>/<dataset>" of this pipeline', found: `"${key}"`, hint: guess ? `did you mean "${guess}"?` : `cells are: ${[...cellKeys].slice(0, 6).join(', ')}${cellKeys.size > 6 ? ', ...' : ''}` });
    }
  }
  if (problems.length) throw new ConfigError(problems);

  const cells: ResolvedCell[] = [];
  for (const v of variants) {
    for (const d of datasetEntries) {
      const key = `${v.id}/${d.dataset}`;
      const settings = { ...cfg.settings, ...v.settings, ...d.settings, ...cfg.cells[key] };
      cells.push({
        pipeline: name,
        target: `evaluate-${v.id}-${d.dataset}`,
        key,
        variant: v.id,
        model: v.model,
        mode: v.mode,
        preset: v.preset,
        dataset: d.dataset,
        gpu: cfg.gpu,
        backend: v.backend,
        englishOnly: v.englishOnly,
        ...(v.adapter !== undefined && { adapter: v.adapter }),
        settings: { ...settings, sample_limit: settings.sample_limit ?? UNLIMITED },
        resultsDir: `results/${name}/${v.id}/${v.preset}/${d.dataset}`,
      });
    }
  }
  return {
    name,
    config: cfg,
    cells,
    variants,
    models: [...new Set(variants.map((v) => v.model))],
    datasets: datasetEntries.map((d) => d.dataset),
    presets: [...new Set(variants.map((v) => v.preset))],
  };
}
