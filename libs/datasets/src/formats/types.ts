import type { DatasetRecord } from '@evalgraph/core';

/** One source file after integrity check and decompression, as a normalizer sees it. */
export interface SourceText {
  path: string;
  role: string;
  mirror_path: string;
  text: string;
}

/** What a normalizer gets: the dataset's name and split and its verified source files, in config order. */
export interface NormalizeInput {
  dataset: string;
  split: string;
  files: SourceText[];
}

/** Canonical records plus auxiliary lists written next to them (few-shot pool, judge prompts, ...), keyed by role. */
export interface Normalized {
  records: DatasetRecord[];
  aux?: Record<string, unknown[]>;
}

/** Turns a dataset's source files into canonical records. Pure: same input, same output. */
export type Normalizer = (input: NormalizeInput) => Normalized;
