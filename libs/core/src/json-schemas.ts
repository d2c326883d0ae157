import { z } from 'zod';
import { ModelConfig } from './schemas/model';
import { Preset } from './schemas/preset';
import { GpuProfile } from './schemas/gpu';
import { DatasetConfig } from './schemas/dataset';
import { PipelineConfig } from './schemas/pipeline';
import { StorageConfig } from './schemas/storage';
import { ContaminationReport, SftExample, TrainConfig, TrainDataConfig, TrainDataManifest, TrainMetrics, TrainRunFile } from './schemas/train';
import { SampleResult, MetricsFile, RunFile } from './schemas/results';
import { DatasetRecord, PreparedManifest } from './schemas/records';

/** Config schemas describe what a user writes (defaults optional); result schemas what evalgraph writes. */
const CONFIG = { model: ModelConfig, preset: Preset, gpu: GpuProfile, dataset: DatasetConfig, pipeline: PipelineConfig, 'train-data': TrainDataConfig, train: TrainConfig, storage: StorageConfig } as const;
const RESULT = { sample: SampleResult, metrics: MetricsFile, run: RunFile, 'dataset-record': DatasetRecord, 'prepared-manifest': PreparedManifest, 'sft-example': SftExample, 'train-data-manifest': TrainDataManifest, contamination: ContaminationReport, 'train-metrics': TrainMetrics, 'train-run': TrainRunFile } as const;

/** Every JSON Schema evalgraph publishes, keyed by file name (e.g. "model.schema.json"). */
export function jsonSchemas(): Record<string, object> {
  const out: Record<string, object> = {};
  for (const [name, schema] of Object.entries(CONFIG)) {
    out[`${name}.schema.json`] = { ...z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }), title: `evalgraph ${name} config` };
  }
  for (const [name, schema] of Object.entries(RESULT)) {
    out[`${name}.schema.json`] = { ...z.toJSONSchema(schema, { io: 'output', unrepresentable: 'any' }), title: `evalgraph ${name} file` };
  }
  return out;
}

/** The text of a schema file as written to configs/schema (stable, trailing newline). */
export function schemaFileText(schema: object): string {
  return JSON.stringify(schema, null, 2) + '\n';
}
