import type { Sandbox } from '@evalgraph/sandbox';
import type { DatasetConfig, DatasetRecord, EvalRequest, EvalResponse, MetricValue, ModelConfig, SampleResult } from '@evalgraph/core';

/** What a scorer knows about the cell it scores. */
export interface ScoringContext {
  dataset: string;
  datasetConfig: DatasetConfig;
  /** The model being evaluated (chat format, family); undefined for model-free tests. */
  model?: ModelConfig;
  /** Few-shot pool (e.g. GSM8K train) when the dataset config asks for few-shot and the scorer uses a pool. */
  fewshotPool?: DatasetRecord[];
  /** Score only the text after the last </think> (resolved from the dataset's strip_thinking and the mode); unset: the dataset's setting, "auto" as off. */
  stripThinking?: boolean;
  /** Output token cap for this cell (truncation is detected from finish_reason "length"). */
  maxTokens: number;
  /** Samples per task (n of pass@k). */
  samplesPerTask: number;
  /** Workspace root, for judge/sandbox settings. */
  workspaceRoot: string;
  /** Extra services some scorers need (MT-Bench judge, code sandbox). */
  services: ScoringServices;
  /**
   * Auxiliary source files of the dataset, parsed, keyed by their role in dataset.yaml
   * (e.g. `judge_prompts`: FastChat's judge_prompts.jsonl objects for MT-Bench).
   */
  aux?: Record<string, unknown[]>;
}

/** Services injected by the runner so scorers stay pure and testable. */
export interface ScoringServices {
  /** Send judge requests (MT-Bench); returns one response per request, same order. */
  judge?: (requests: EvalRequest[]) => Promise<EvalResponse[]>;
  /** Run untrusted Python (code datasets). Provided by libs/sandbox. */
  sandbox?: Sandbox;
}

/** The requests of one dataset record, plus what the scorer needs to render and score them. */
export interface SampleRequests {
  record: DatasetRecord;
  requests: EvalRequest[];
  /** Human-readable rendered prompt stored in samples.jsonl. */
  renderedPrompt: string;
}

/** A scorer module: builds requests for a record, scores its responses, aggregates metrics. */
export interface Scorer {
  name: string;
  /** Normalizer-independent: the requests one record needs (n for pass@k, one per choice for log-likelihood). */
  buildRequests(record: DatasetRecord, ctx: ScoringContext): SampleRequests;
  /**
   * Multi-turn tasks (MT-Bench turn 2): given the responses so far, the next requests of this sample, or
   * null when it is complete. The runner calls it after each round, batching all samples' rounds together.
   */
  followUp?(sample: SampleRequests, responses: EvalResponse[], ctx: ScoringContext): EvalRequest[] | null;
  /** Score one record; for n>1 generations return one SampleResult per generation (sample_index). */
  score(sample: SampleRequests, responses: EvalResponse[], ctx: ScoringContext): Promise<SampleResult[]> | SampleResult[];
  /** Aggregate metrics (value + stderr + ci95) over all sample results of a cell; first is the primary metric. */
  aggregate(results: SampleResult[], ctx: ScoringContext): MetricValue[];
}
