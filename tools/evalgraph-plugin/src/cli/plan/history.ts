import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MetricsFile, RunFile } from '@evalgraph/core';
import { measuredCosts, type CostCell, type MeasuredCost } from '@evalgraph/analysis';

/** What earlier runs measured: GPU seconds per cell (keyed by its results folder), and what could not be read. */
export interface RunHistory {
  costs: Map<string, MeasuredCost>;
  unreadable: string[];
}

const dirs = (p: string) => (existsSync(p) ? readdirSync(p, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name) : []);

/**
 * Reads every cell result under results/ (results/<pipeline>/<variant>/<preset>/<dataset>/{run,metrics}.json, the
 * last run of each cell) and turns their run windows and request counts into GPU seconds per cell.
 */
export function readRunHistory(root: string): RunHistory {
  const cells: CostCell[] = [];
  const unreadable: string[] = [];
  const results = join(root, 'results');
  for (const p of dirs(results))
    for (const v of dirs(join(results, p)))
      for (const pr of dirs(join(results, p, v)))
        for (const d of dirs(join(results, p, v, pr))) {
          const key = `results/${p}/${v}/${pr}/${d}`;
          const runFile = join(root, key, 'run.json');
          const metricsFile = join(root, key, 'metrics.json');
          if (!existsSync(runFile) || !existsSync(metricsFile)) continue;
          try {
            const run = RunFile.parse(JSON.parse(readFileSync(runFile, 'utf8')));
            const metrics = MetricsFile.parse(JSON.parse(readFileSync(metricsFile, 'utf8')));
            cells.push({ cell: { key }, run, metrics });
          } catch {
            unreadable.push(key);
          }
        }
  return { costs: measuredCosts(cells), unreadable };
}
