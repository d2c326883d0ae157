import type { Normalizer } from './types';
import { str } from './source-text';
import { labelledRows } from './labelled-rows';
import { pyStrip } from './python-text';

/**
 * WinoGrande (dev.jsonl + dev-labels.lst). The harness scores it by partial evaluation: the two
 * contexts (sentence up to "_" with each option filled in) share one continuation (the rest of the
 * sentence), see winogrande/preprocess_winogrande.py. Those go to metadata.contexts and
 * metadata.continuation; choices are the two options, input is the sentence.
 */
export const winogrande: Normalizer = (input) => {
  const records = labelledRows(input).map(({ row, label, where }) => {
    const sentence = str(row, 'sentence', where);
    const options = [str(row, 'option1', where), str(row, 'option2', where)];
    if (label !== '1' && label !== '2') throw new Error(`${where}: label ${JSON.stringify(label)} is not "1" or "2"`);
    if (row.answer !== undefined && row.answer !== label) throw new Error(`${where}: answer ${JSON.stringify(row.answer)} disagrees with the labels file (${label})`);
    const blank = sentence.indexOf('_');
    if (blank < 0) throw new Error(`${where}: sentence has no "_"`);
    return {
      id: str(row, 'qID', where),
      input: sentence,
      choices: options,
      gold: Number(label) - 1,
      metadata: {
        sentence,
        option1: options[0],
        option2: options[1],
        answer: label,
        contexts: options.map((o) => sentence.slice(0, blank) + o),
        continuation: pyStrip(sentence.slice(blank + 1)),
      },
    };
  });
  return { records };
};
