import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MetricsFile, RunFile, SampleResult, parseJsonl, type ResolvedCell, type ResolvedPipeline } from '@evalgraph/core';
import { ResultFileError, validateWith } from './validate';

/** One evaluated cell: its place in the pipeline and its three result files. */
export interface LoadedCell {
  cell: ResolvedCell;
  metrics: MetricsFile;
  run: RunFile;
  samples: SampleResult[];
}

/** A cell of the pipeline with no complete result on disk. */
export interface MissingCell {
  key: string;
  variant: string;
  dataset: string;
  reason: string;
}

export interface LoadedCells {
  cells: LoadedCell[];
  missing: MissingCell[];
}

/** File names of a cell's results. */
export const RESULT_FILES = { samples: 'samples.jsonl', metrics: 'metrics.json', run: 'run.json' } as const;

function readJsonFile(file: string, cell: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new ResultFileError(file, [`not readable (${(e as NodeJS.ErrnoException).code ?? String(e)})`], cell);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new ResultFileError(file, [`not valid JSON (${(e as Error).message})`], cell);
  }
}

/** Reads and validates one cell's results from its directory. */
export function loadCell(root: string, cell: ResolvedCell): LoadedCell {
  const dir = join(root, cell.resultsDir);
  const metricsFile = join(dir, RESULT_FILES.metrics);
  const runFile = join(dir, RESULT_FILES.run);
  const samplesFile = join(dir, RESULT_FILES.samples);
  const metrics = validateWith(MetricsFile, readJsonFile(metricsFile, cell.key), metricsFile, cell.key);
  const run = validateWith(RunFile, readJsonFile(runFile, cell.key), runFile, cell.key);
  if (run.variant !== cell.variant || run.dataset.name !== cell.dataset) {
    throw new ResultFileError(runFile, [`belongs to ${run.variant}/${run.dataset.name}, not ${cell.key}`], cell.key);
  }
  let lines: unknown[];
  try {
    lines = parseJsonl(readFileSync(samplesFile, 'utf8'), samplesFile);
  } catch (e) {
    throw new ResultFileError(samplesFile, [(e as Error).message], cell.key);
  }
  const samples = lines.map((line, i) => validateWith(SampleResult, line, `${samplesFile}:${i + 1}`, cell.key));
  // A file cut at a line boundary still parses: only the count against metrics.json shows the damage.
  if (samples.length !== metrics.n) {
    throw new ResultFileError(
      samplesFile,
      [`has ${samples.length} samples where metrics.json says ${metrics.n}: the file is truncated or damaged; fix: delete ${cell.resultsDir} and run the evaluate target again (Nx restores it from its cache, or the cell re-runs from the request cache without resending anything)`],
      cell.key,
    );
  }
  return { cell, metrics, run, samples };
}

/**
 * Loads every cell of a resolved pipeline from results/. A cell without metrics.json (never run, or
 * killed before it finished — metrics.json is written last) is reported as missing; a cell whose files
 * exist but are invalid is an error.
 */
export function loadCells(root: string, pipeline: ResolvedPipeline): LoadedCells {
  const out: LoadedCells = { cells: [], missing: [] };
  for (const cell of pipeline.cells) {
    if (!existsSync(join(root, cell.resultsDir, RESULT_FILES.metrics))) {
      out.missing.push({ key: cell.key, variant: cell.variant, dataset: cell.dataset, reason: `no ${cell.resultsDir}/${RESULT_FILES.metrics} (not evaluated, or did not finish)` });
      continue;
    }
    out.cells.push(loadCell(root, cell));
  }
  return out;
}
