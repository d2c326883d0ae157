import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { inject } from 'vitest';

/** What one scenario did: faults injected, nx runs, runs that completed, results lost. */
export interface Figure {
  scenario: string;
  faults: number;
  runs: number;
  completed: number;
  resultsLost: number;
  note: string;
}

/** Appends one scenario's figures (printed by the global teardown, quoted in docs/reliability.md). */
export function recordFigure(f: Figure): void {
  appendFileSync(join(inject('chaosDir'), 'figures.jsonl'), JSON.stringify(f) + '\n');
}

/** The figures as a Markdown table. */
export function formatFigures(figures: Figure[]): string {
  const rows = figures.map((f) => `| ${f.scenario} | ${f.faults} | ${f.runs} | ${f.completed} | ${f.resultsLost} | ${f.note} |`);
  const sum = (k: 'faults' | 'runs' | 'completed' | 'resultsLost') => figures.reduce((s, f) => s + f[k], 0);
  return [
    '| scenario | faults injected | nx runs | runs completed | results lost | note |',
    '|---|---|---|---|---|---|',
    ...rows,
    `| total | ${sum('faults')} | ${sum('runs')} | ${sum('completed')} | ${sum('resultsLost')} | |`,
  ].join('\n');
}
