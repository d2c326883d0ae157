import type { SourceText } from './types';
import { rawJsonMembers } from './raw-json';

/** Fields of an EvalPlus row whose JSON text is kept verbatim (see rawJsonMembers for why). */
const RAW_FIELDS = new Set(['base_input', 'plus_input']);

/** One EvalPlus JSONL row: ordinary fields parsed, test inputs kept as their exact JSON text. */
export interface EvalPlusRow {
  fields: Record<string, unknown>;
  rawInputs: { base_input: string; plus_input: string };
}

/** Reads the rows of an EvalPlus release file (HumanEvalPlus / MbppPlus). */
export function evalPlusRows(file: SourceText): EvalPlusRow[] {
  const rows: EvalPlusRow[] = [];
  file.text.split('\n').forEach((line, i) => {
    if (!line.trim()) return;
    const where = `${file.path}:${i + 1}`;
    const members = rawJsonMembers(line, where);
    const fields: Record<string, unknown> = {};
    for (const [key, raw] of members) {
      if (RAW_FIELDS.has(key)) continue;
      try {
        fields[key] = JSON.parse(raw);
      } catch (e) {
        throw new Error(`${where}: field "${key}" is not plain JSON (${(e as Error).message})`);
      }
    }
    const base = members.get('base_input');
    const plus = members.get('plus_input');
    if (base === undefined || plus === undefined) throw new Error(`${where}: missing base_input or plus_input`);
    rows.push({ fields, rawInputs: { base_input: base, plus_input: plus } });
  });
  return rows;
}
