import { join } from 'node:path';
import { percentile, writeFileAtomic, type DatasetConfig, type DatasetRecord } from '@evalgraph/core';
import { preparedDir } from './paths';
import { listPreparedAux, readPrepared, readPreparedAux } from './read-prepared';

/** Distribution of a length in characters. */
export interface LengthStats {
  min: number;
  mean: number;
  p50: number;
  p95: number;
  max: number;
}

/** What the dataset manager reports about a prepared dataset. */
export interface DatasetSummary {
  dataset: string;
  description?: string;
  format: string;
  scorer: string;
  mode: string;
  /** Records per split. */
  splits: Record<string, number>;
  records: number;
  /** Field -> number of records that have it; metadata keys as "metadata.<key>". */
  fields: Record<string, number>;
  /** Length of `input` (the prompt before formatting) in characters. */
  input_chars: LengthStats;
  /** Multiple choice only: number of choices per record, and how often each gold index occurs. */
  choices?: { min: number; max: number; mean: number; counts: Record<string, number>; gold: Record<string, number> };
  /** Aux lists written by prepare (role -> items). */
  aux: Record<string, number>;
  license: string;
  /** "<repo>@<revision>" */
  source: string;
  source_kind: string;
  homepage?: string;
  files: { path: string; sha256: string }[];
  prepared_sha256: string;
  normalizer_version: number;
}

const round = (x: number) => Math.round(x * 10) / 10;

/** min/mean/p50/p95/max of some lengths (all 0 when there are none). */
export function lengthStats(values: readonly number[]): LengthStats {
  if (values.length === 0) return { min: 0, mean: 0, p50: 0, p95: 0, max: 0 };
  return {
    min: Math.min(...values),
    mean: round(values.reduce((a, b) => a + b, 0) / values.length),
    p50: round(percentile(values, 50)),
    p95: round(percentile(values, 95)),
    max: Math.max(...values),
  };
}

function countBy(values: readonly (string | number)[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const v of [...values].sort((a, b) => (typeof a === 'number' && typeof b === 'number' ? a - b : String(a).localeCompare(String(b))))) {
    out[String(v)] = (out[String(v)] ?? 0) + 1;
  }
  return out;
}

function fieldCounts(records: readonly DatasetRecord[]): Record<string, number> {
  const counts = new Map<string, number>();
  const add = (k: string) => counts.set(k, (counts.get(k) ?? 0) + 1);
  for (const r of records) {
    for (const k of ['id', 'input', 'target', 'choices', 'gold'] as const) if (r[k] !== undefined) add(k);
    for (const [k, v] of Object.entries(r.metadata ?? {})) if (v !== undefined) add(`metadata.${k}`);
  }
  return Object.fromEntries(counts);
}

/** Builds the summary of a prepared dataset from its records, manifest and config. */
export function summarizeRecords(name: string, config: DatasetConfig, records: readonly DatasetRecord[], extra: { prepared_sha256: string; normalizer_version: number; aux: Record<string, number> }): DatasetSummary {
  const withChoices = records.filter((r) => r.choices);
  const choiceCounts = withChoices.map((r) => (r.choices as string[]).length);
  return {
    dataset: name,
    ...(config.description ? { description: config.description } : {}),
    format: config.format,
    scorer: config.scorer,
    mode: config.mode,
    splits: { [config.split]: records.length },
    records: records.length,
    fields: fieldCounts(records),
    input_chars: lengthStats(records.map((r) => r.input.length)),
    ...(withChoices.length
      ? {
          choices: {
            min: Math.min(...choiceCounts),
            max: Math.max(...choiceCounts),
            mean: round(choiceCounts.reduce((a, b) => a + b, 0) / choiceCounts.length),
            counts: countBy(choiceCounts),
            gold: countBy(withChoices.filter((r) => r.gold !== undefined).map((r) => r.gold as number)),
          },
        }
      : {}),
    aux: extra.aux,
    license: config.source.license,
    source: `${config.source.repo}@${config.source.revision}`,
    source_kind: config.source.kind,
    ...(config.source.homepage ? { homepage: config.source.homepage } : {}),
    files: config.source.files.map((f) => ({ path: f.path, sha256: f.sha256 })),
    prepared_sha256: extra.prepared_sha256,
    normalizer_version: extra.normalizer_version,
  };
}

const cell = (s: string | number) => String(s).replaceAll('|', '\\|').replaceAll('\n', ' ');

/** Renders a summary as Markdown (the text `summary` prints and writes to summary.md). */
export function renderSummaryMarkdown(s: DatasetSummary): string {
  const lines: string[] = [`# Dataset ${s.dataset}`, ''];
  if (s.description) lines.push(s.description.trim(), '');
  lines.push('| | |', '|---|---|');
  lines.push(`| source | ${cell(s.source_kind)} ${cell(s.source)} |`);
  if (s.homepage) lines.push(`| homepage | ${cell(s.homepage)} |`);
  lines.push(`| license | ${cell(s.license)} |`);
  lines.push(`| records | ${Object.entries(s.splits).map(([k, v]) => `${cell(k)}: ${v}`).join(', ')} |`);
  lines.push(`| format | ${cell(s.format)} (normalizer v${s.normalizer_version}) |`);
  lines.push(`| scorer | ${cell(s.scorer)} (${cell(s.mode)}) |`);
  if (Object.keys(s.aux).length) lines.push(`| aux | ${Object.entries(s.aux).map(([k, v]) => `${cell(k)}: ${v}`).join(', ')} |`);
  lines.push(`| prepared sha256 | \`${s.prepared_sha256}\` |`, '');
  const st = s.input_chars;
  lines.push('## Prompt length (input, characters)', '', '| min | mean | p50 | p95 | max |', '|---:|---:|---:|---:|---:|', `| ${st.min} | ${st.mean} | ${st.p50} | ${st.p95} | ${st.max} |`, '');
  if (s.choices) {
    const c = s.choices;
    lines.push('## Choices', '', `${c.min === c.max ? c.min : `${c.min}–${c.max} (mean ${c.mean})`} per record.`, '');
    lines.push('| choices | records |', '|---:|---:|', ...Object.entries(c.counts).map(([k, v]) => `| ${k} | ${v} |`), '');
    lines.push('| gold index | records |', '|---:|---:|', ...Object.entries(c.gold).map(([k, v]) => `| ${k} | ${v} |`), '');
  }
  lines.push('## Fields', '', '| field | records |', '|---|---:|', ...Object.entries(s.fields).map(([k, v]) => `| ${cell(k)} | ${v} |`), '');
  lines.push('## Source files', '', '| path | sha256 |', '|---|---|', ...s.files.map((f) => `| ${cell(f.path)} | \`${f.sha256}\` |`), '');
  return lines.join('\n');
}

/** Summarizes a prepared dataset: the data for summary.json and its Markdown rendering. */
export function summarizeDataset(root: string, name: string, config: DatasetConfig): { data: DatasetSummary; markdown: string } {
  const { manifest, records } = readPrepared(root, name);
  const aux: Record<string, number> = {};
  for (const role of listPreparedAux(root, name)) aux[role] = readPreparedAux(root, name, role)?.length ?? 0;
  const data = summarizeRecords(name, config, records, { prepared_sha256: manifest.sha256, normalizer_version: manifest.normalizer_version, aux });
  return { data, markdown: renderSummaryMarkdown(data) };
}

/** Writes summary.json and summary.md (by default next to the prepared data). */
export function writeSummary(root: string, name: string, summary: { data: DatasetSummary; markdown: string }, dir = preparedDir(root, name)): void {
  writeFileAtomic(join(dir, 'summary.json'), JSON.stringify(summary.data, null, 2) + '\n');
  writeFileAtomic(join(dir, 'summary.md'), summary.markdown);
}
