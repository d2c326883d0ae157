import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MetricsFile, RunFile, SampleResult, parseJsonl, type ResolvedCell, type ResolvedPipeline } from '@evalgraph/core';
import { DamagedCellsError, resultFileProblems, type CellDamage } from './cell-integrity';
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
  /** One line per loaded cell whose run.json predates file digests, so its files could not be verified. */
  unverified: string[];
}

/** How the caller wants damaged cells reported. */
export interface LoadCellsOptions {
  /** The command that re-runs one cell without any cached result (the caller knows how its cells are run). */
  rerunCommand?: (cell: ResolvedCell) => string;
}

/** File names of a cell's results. */
export const RESULT_FILES = { samples: 'samples.jsonl', metrics: 'metrics.json', run: 'run.json' } as const;

const defaultRerun = (cell: ResolvedCell) => `run the evaluate target of cell ${cell.key} with its task cache skipped`;

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

/** A cell whose files are damaged (as opposed to invalid): re-running it is the fix. */
class CellDamageFound extends Error {
  constructor(readonly problems: string[]) {
    super(problems.join('; '));
  }
}

/**
 * Reads and validates one cell's results from its directory. Files are checked against the digests in run.json
 * before they are parsed: a damaged cache entry restores a cut-short samples.jsonl as readily as a whole one.
 */
function readCell(root: string, cell: ResolvedCell): LoadedCell {
  const dir = join(root, cell.resultsDir);
  const metricsFile = join(dir, RESULT_FILES.metrics);
  const runFile = join(dir, RESULT_FILES.run);
  const samplesFile = join(dir, RESULT_FILES.samples);
  let runData: unknown;
  try {
    runData = readJsonFile(runFile, cell.key);
  } catch (e) {
    // A run.json that does not parse was cut or overwritten after it was written: the cell is damaged.
    if (existsSync(runFile)) throw new CellDamageFound([`run.json ${(e as ResultFileError).problems[0]}`]);
    throw e;
  }
  const run = validateWith(RunFile, runData, runFile, cell.key);
  if (run.variant !== cell.variant || run.dataset.name !== cell.dataset) {
    throw new ResultFileError(runFile, [`belongs to ${run.variant}/${run.dataset.name}, not ${cell.key}`], cell.key);
  }
  if (run.files) {
    const problems = resultFileProblems(dir, run.files);
    if (problems.length) throw new CellDamageFound(problems);
  }
  const metrics = validateWith(MetricsFile, readJsonFile(metricsFile, cell.key), metricsFile, cell.key);
  let lines: unknown[];
  try {
    lines = parseJsonl(readFileSync(samplesFile, 'utf8'), samplesFile);
  } catch (e) {
    throw new ResultFileError(samplesFile, [(e as Error).message], cell.key);
  }
  const samples = lines.map((line, i) => validateWith(SampleResult, line, `${samplesFile}:${i + 1}`, cell.key));
  // Without digests (an older run.json) a file cut at a line boundary still parses: only the count shows it.
  if (samples.length !== metrics.n) throw new CellDamageFound([`samples.jsonl has ${samples.length} samples where metrics.json says ${metrics.n}: it was cut short or changed`]);
  return { cell, metrics, run, samples };
}

/** Reads and validates one cell's results; a damaged cell is a DamagedCellsError naming it and its fix. */
export function loadCell(root: string, cell: ResolvedCell, opts: LoadCellsOptions = {}): LoadedCell {
  try {
    return readCell(root, cell);
  } catch (e) {
    if (e instanceof CellDamageFound) throw new DamagedCellsError([damage(cell, e, opts)]);
    throw e;
  }
}

function damage(cell: ResolvedCell, e: CellDamageFound, opts: LoadCellsOptions): CellDamage {
  return { cell: cell.key, resultsDir: cell.resultsDir, problems: e.problems, fix: (opts.rerunCommand ?? defaultRerun)(cell) };
}

/**
 * Loads every cell of a resolved pipeline from results/. A cell without metrics.json (never run, or
 * killed before it finished — metrics.json is written last) is reported as missing; a cell whose files
 * exist but are invalid is an error; damaged cells are all gathered into one DamagedCellsError, never
 * left out quietly.
 */
export function loadCells(root: string, pipeline: ResolvedPipeline, opts: LoadCellsOptions = {}): LoadedCells {
  const out: LoadedCells = { cells: [], missing: [], unverified: [] };
  const damaged: CellDamage[] = [];
  for (const cell of pipeline.cells) {
    const dir = join(root, cell.resultsDir);
    if (!existsSync(join(dir, RESULT_FILES.metrics)) && !existsSync(join(dir, RESULT_FILES.run))) {
      out.missing.push({ key: cell.key, variant: cell.variant, dataset: cell.dataset, reason: `no ${cell.resultsDir}/${RESULT_FILES.metrics} (not evaluated, or did not finish)` });
      continue;
    }
    try {
      const loaded = readCell(root, cell);
      if (!loaded.run.files) out.unverified.push(`${cell.key}: ${cell.resultsDir}/run.json records no file digests (written by an older evalgraph), so its files were checked only for shape and sample count`);
      out.cells.push(loaded);
    } catch (e) {
      if (!(e instanceof CellDamageFound)) throw e;
      damaged.push(damage(cell, e, opts));
    }
  }
  if (damaged.length) throw new DamagedCellsError(damaged);
  return out;
}
