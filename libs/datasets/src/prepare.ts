import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ConfigError, PreparedManifest, didYouMean, sha256, toJsonl, type DatasetConfig } from '@evalgraph/core';
import { NORMALIZERS, NORMALIZER_VERSION } from './formats/registry';
import type { Normalizer } from './formats/types';
import { canonicalRecord, validateRecords } from './canonical';
import { auxFileName, datasetConfigFile, preparedDir } from './paths';
import { loadSourceFile, overallOrigin, resolveMirror, type LoadContext } from './source-files';

/** Options of prepareDataset. */
export interface PrepareOptions {
  /** Workspace root: outputs go to <root>/.evalgraph/prepared/<name>, downloads to <root>/.evalgraph/downloads. */
  root: string;
  name: string;
  config: DatasetConfig;
  /** Local mirror directory (beats EVALGRAPH_DATA_MIRROR and the config's `mirror`). */
  mirror?: string;
  fetchImpl?: typeof fetch;
}

/** The normalizer of a config's `format`; an unknown one is a ConfigError naming the field. */
export function normalizerFor(name: string, format: string): Normalizer {
  const n = NORMALIZERS[format];
  if (n) return n;
  const known = Object.keys(NORMALIZERS);
  const guess = didYouMean(format, known);
  throw new ConfigError([
    { file: datasetConfigFile(name), field: 'format', expected: `a known format (${known.join(', ')})`, found: `"${format}"`, hint: guess ? `did you mean "${guess}"?` : undefined },
  ]);
}

/** Writes all files of a preparation into a fresh directory and swaps it in, so readers never see a mix. */
export function writeDirAtomic(dir: string, files: Record<string, string>): void {
  mkdirSync(dirname(dir), { recursive: true });
  const stamp = `${process.pid}-${Date.now()}`;
  const tmp = `${dir}.tmp-${stamp}`;
  mkdirSync(tmp, { recursive: true });
  for (const [name, text] of Object.entries(files)) writeFileSync(join(tmp, name), text);
  const old = `${dir}.old-${stamp}`;
  if (existsSync(dir)) renameSync(dir, old);
  renameSync(tmp, dir);
  rmSync(old, { recursive: true, force: true });
}

/**
 * Resolves the pinned source files (mirror, download cache or network), verifies their sha256,
 * normalizes them to canonical DatasetRecord JSONL and writes data.jsonl, manifest.json and any aux
 * lists to <root>/.evalgraph/prepared/<name>/.
 */
export async function prepareDataset(opts: PrepareOptions): Promise<PreparedManifest> {
  const { root, name, config } = opts;
  const normalize = normalizerFor(name, config.format);
  const ctx: LoadContext = { root, name, config, mirror: resolveMirror(root, config, opts.mirror), fetchImpl: opts.fetchImpl ?? fetch };
  const loaded = [];
  for (let i = 0; i < config.source.files.length; i++) loaded.push(await loadSourceFile(ctx, i));

  const out = normalize({
    dataset: name,
    split: config.split,
    files: loaded.map((l) => ({ path: l.file.path, role: l.file.role, mirror_path: l.file.mirror_path, text: l.text })),
  });
  const where = `dataset ${name} (format ${config.format})`;
  const records = validateRecords(out.records, where);
  if (records.length !== config.expected_records) {
    throw new ConfigError([
      {
        file: datasetConfigFile(name),
        field: 'expected_records',
        expected: `${config.expected_records} records`,
        found: `${records.length} records after normalizing ${config.source.repo}@${config.source.revision.slice(0, 12)}`,
        hint: 'the source or the normalizer changed: check them, then fix expected_records',
      },
    ]);
  }

  const data = toJsonl(out.records.map(canonicalRecord));
  const files: Record<string, string> = { 'data.jsonl': data };
  for (const [role, items] of Object.entries(out.aux ?? {})) {
    const text = role === 'fewshot' ? toJsonl(validateRecords(items, `${where} aux ${role}`).map(canonicalRecord)) : toJsonl(items);
    files[auxFileName(role)] = text;
  }
  const manifest = PreparedManifest.parse({
    dataset: name,
    split: config.split,
    format: config.format,
    records: records.length,
    sha256: sha256(data),
    source: {
      kind: config.source.kind,
      repo: config.source.repo,
      revision: config.source.revision,
      files: config.source.files.map((f) => ({ path: f.path, sha256: f.sha256 })),
    },
    fetched_from: overallOrigin(loaded.map((l) => l.from)),
    normalizer_version: NORMALIZER_VERSION,
  });
  files['manifest.json'] = JSON.stringify(manifest, null, 2) + '\n';
  writeDirAtomic(preparedDir(root, name), files);
  return manifest;
}
