import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { formatFigures, type Figure } from './helpers/figures';

declare module 'vitest' {
  export interface ProvidedContext {
    chaosDir: string;
  }
}

/**
 * Gives every chaos file a shared scratch folder (reference results, figures) and, at the end, prints the
 * figures of the run and writes them to $EVALGRAPH_CHAOS_FIGURES (default <tmp>/evalgraph-chaos-figures.json).
 */
export default function setup(project: TestProject) {
  const dir = mkdtempSync(join(tmpdir(), 'evalgraph-chaos-'));
  mkdirSync(join(dir, 'reference'), { recursive: true });
  project.provide('chaosDir', dir);
  const t0 = Date.now();
  return () => {
    const file = join(dir, 'figures.jsonl');
    const figures: Figure[] = existsSync(file)
      ? readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Figure)
      : [];
    const out = process.env.EVALGRAPH_CHAOS_FIGURES ?? join(tmpdir(), 'evalgraph-chaos-figures.json');
    writeFileSync(out, JSON.stringify({ finished: new Date().toISOString(), wall_s: Math.round((Date.now() - t0) / 1000), figures }, null, 2) + '\n');
    process.stdout.write(`\n${formatFigures(figures)}\nchaos suite wall time ${Math.round((Date.now() - t0) / 1000)} s; figures written to ${out}\n`);
    rmSync(dir, { recursive: true, force: true });
  };
}
