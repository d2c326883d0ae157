import { readFileSync } from 'node:fs';
import type { SampleResult } from '@evalgraph/core';
import { validateWith } from '@evalgraph/analysis';
import { renderHtml } from './html';
import { renderMarkdown } from './markdown';
import type { EmbedOptions } from './sample-embed';
import { SUMMARY_SCHEMA_FILE, Summary, summaryJsonSchema } from './summary-schema';
import type { GateResult } from './summary-schema';

/** File names of a report, as publishReport takes them. */
export const REPORT_FILES = { summary: 'summary.json', schema: SUMMARY_SCHEMA_FILE, markdown: 'report.md', html: 'report.html' } as const;

/** Renders every report file of a summary: summary.json (+ its JSON Schema), report.md and report.html. */
export async function renderReportFiles(summary: Summary, samples: Readonly<Record<string, readonly SampleResult[]>>, opts: EmbedOptions = {}): Promise<Record<string, string>> {
  return {
    [REPORT_FILES.summary]: JSON.stringify(summary, null, 2) + '\n',
    [REPORT_FILES.schema]: JSON.stringify(summaryJsonSchema(), null, 2) + '\n',
    [REPORT_FILES.markdown]: renderMarkdown(summary),
    [REPORT_FILES.html]: await renderHtml(summary, samples, opts),
  };
}

/** Reads a summary.json, validated with ajv against the generated JSON Schema. */
export function readSummary(file: string): Summary {
  return validateWith(Summary, JSON.parse(readFileSync(file, 'utf8')), file, 'summary');
}

/** One console line per gate, e.g. "✗ throughput: not measured for 2 cell(s): …". */
export function formatGates(gates: readonly GateResult[]): string[] {
  return gates.map((g) => `${g.pass ? '✓' : '✗'} ${g.gate}: ${g.reason}`);
}
