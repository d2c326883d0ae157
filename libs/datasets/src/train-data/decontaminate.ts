import type { ContaminationReport, DatasetRecord, SftExample } from '@evalgraph/core';
import { evalRecordText, ngrams, normalizedWords } from './ngrams';

/** How many overlaps per evaluation set the report lists verbatim. */
const SHOWN = 5;

/** An evaluation set to check against. */
export interface EvalSet {
  dataset: string;
  records: DatasetRecord[];
  /** sha256 of the prepared JSONL, recorded in the manifest (computed from the records when absent). */
  sha256?: string;
}

/** The result of a decontamination pass: the indexes of contaminated examples and the report. */
export interface Decontamination {
  contaminated: Set<number>;
  report: ContaminationReport;
}

/**
 * Drops training examples that share any n-gram with an evaluation record (GPT-3 / lm-evaluation-harness
 * decontamination). The training side is indexed, since it is the smaller; each evaluation record is then streamed
 * through it, so memory grows with the training set only.
 */
export function decontaminate(examples: SftExample[], evalSets: EvalSet[], n: number): Decontamination {
  const index = new Map<string, number[]>();
  examples.forEach((ex, i) => {
    const words = normalizedWords(ex.messages.filter((m) => m.role !== 'system').map((m) => m.content).join('\n'));
    for (const g of new Set(ngrams(words, n))) {
      const hit = index.get(g);
      if (hit) hit.push(i);
      else index.set(g, [i]);
    }
  });
  const contaminated = new Set<number>();
  const datasets: ContaminationReport['datasets'] = [];
  for (const set of evalSets) {
    const mine = new Set<number>();
    const shown: ContaminationReport['datasets'][number]['examples'] = [];
    let tooShort = 0;
    for (const rec of set.records) {
      const words = normalizedWords(evalRecordText(rec));
      if (words.length < n) {
        tooShort++;
        continue;
      }
      for (const g of ngrams(words, n)) {
        for (const i of index.get(g) ?? []) {
          if (mine.has(i)) continue;
          mine.add(i);
          contaminated.add(i);
          if (shown.length < SHOWN) shown.push({ id: examples[i].id, eval_id: rec.id, ngram: g });
        }
      }
    }
    datasets.push({ dataset: set.dataset, records: set.records.length, too_short: tooShort, overlapping_examples: mine.size, examples: shown });
  }
  return { contaminated, report: { ngram: n, checked_examples: examples.length, dropped: contaminated.size, datasets } };
}
