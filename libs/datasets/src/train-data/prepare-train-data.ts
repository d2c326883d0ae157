import { join } from 'node:path';
import {
  CONFIG_PATHS,
  ConfigError,
  SftExample,
  TrainDataManifest,
  didYouMean,
  listConfigs,
  sha256,
  toJsonl,
  type ContaminationReport,
  type TrainDataConfig,
} from '@evalgraph/core';
import { writeDirAtomic } from '../write-dir';
import { readPrepared } from '../read-prepared';
import { loadSourceFile, resolveMirror, type LoadContext } from '../source-files';
import { decontaminate, type EvalSet } from './decontaminate';
import { normalizedWords } from './ngrams';
import { SFT_BUILDERS, SFT_BUILDER_VERSION, UnknownSplitError } from './sft-builders';

/** Where `prepare` of train-data-<name> writes data.jsonl, manifest.json and contamination.json. */
export function trainDataDir(root: string, name: string): string {
  return join(root, '.evalgraph', 'train-data', name);
}

/** The evaluation sets a train-data config checks against; an unknown name is a ConfigError with a did-you-mean. */
export function decontaminationDatasets(root: string, name: string, config: TrainDataConfig): string[] {
  const known = listConfigs(root, 'dataset');
  const wanted = config.decontamination.datasets;
  if (wanted === 'all') return known;
  const problems = wanted
    .map((d, i) => ({ d, i }))
    .filter(({ d }) => !known.includes(d))
    .map(({ d, i }) => {
      const guess = didYouMean(d, known);
      return {
        file: CONFIG_PATHS['train-data'](name),
        field: `decontamination.datasets.${i}`,
        expected: `a dataset under configs/datasets (${known.join(', ')})`,
        found: `"${d}"`,
        hint: guess ? `did you mean "${guess}"?` : 'use all, or name datasets that exist',
      };
    });
  if (problems.length) throw new ConfigError(problems);
  return wanted;
}

/** Options of prepareTrainData. */
export interface PrepareTrainDataOptions {
  root: string;
  name: string;
  config: TrainDataConfig;
  /** Evaluation sets to check against (default: read the prepared output of decontaminationDatasets). */
  evalSets?: EvalSet[];
  mirror?: string;
  fetchImpl?: typeof fetch;
}

/** What prepareTrainData wrote. */
export interface PreparedTrainData {
  manifest: TrainDataManifest;
  contamination: ContaminationReport;
}

/**
 * Builds a fine-tuning set: reads each pinned source (mirror, download cache or network; sha256-checked), turns rows
 * into chat examples, drops too short/long ones, duplicates and every example sharing an n-gram with an evaluation
 * set, then keeps each source's `limit`. Writes the set, its manifest and the contamination report atomically.
 */
export async function prepareTrainData(opts: PrepareTrainDataOptions): Promise<PreparedTrainData> {
  const { root, name, config } = opts;
  const file = CONFIG_PATHS['train-data'](name);
  const evalSets =
    opts.evalSets ??
    decontaminationDatasets(root, name, config).map((d) => {
      const p = readPrepared(root, d);
      return { dataset: d, records: p.records, sha256: p.manifest.sha256 };
    });

  const perSource: { examples: SftExample[]; read: number; filtered: number }[] = [];
  for (const [i, src] of config.sources.entries()) {
    const ctx: LoadContext = {
      root,
      name: `${name}/${src.name}`,
      what: `train-data ${name} (source ${src.name})`,
      configFile: file,
      config: { source: { kind: src.kind, repo: src.repo, revision: src.revision, license: src.license, files: src.files }, mirror: config.mirror },
      mirror: resolveMirror(root, config, opts.mirror),
      fetchImpl: opts.fetchImpl ?? fetch,
    };
    const files = [];
    for (let f = 0; f < src.files.length; f++) {
      const l = await loadSourceFile(ctx, f);
      files.push({ path: l.file.path, role: l.file.role, mirror_path: l.file.mirror_path, text: l.text });
    }
    let built: SftExample[];
    try {
      built = SFT_BUILDERS[src.format]({ source: src.name, split: src.split, files });
    } catch (e) {
      if (!(e instanceof UnknownSplitError)) throw e;
      throw new ConfigError([{ file, field: `sources.${i}.split`, expected: `a split of format ${src.format}: ${e.message}`, found: `"${src.split}"` }]);
    }
    const withSystem = built.map((ex) => SftExample.parse(config.system ? { ...ex, messages: [{ role: 'system', content: config.system }, ...ex.messages] } : ex));
    const kept = withSystem.filter((ex) => {
      const chars = ex.messages.reduce((n, m) => n + (m.role === 'system' ? 0 : m.content.length), 0);
      return chars >= config.filters.min_chars && chars <= config.filters.max_chars;
    });
    perSource.push({ examples: kept, read: built.length, filtered: built.length - kept.length });
  }

  // Dedup across sources, first occurrence wins, on the same normalized words decontamination compares.
  const seen = new Set<string>();
  const duplicates = perSource.map(() => 0);
  const all: { ex: SftExample; source: number }[] = [];
  perSource.forEach((s, si) => {
    for (const ex of s.examples) {
      const key = normalizedWords(ex.messages.filter((m) => m.role !== 'system').map((m) => m.content).join('\n')).join(' ');
      if (config.dedupe && seen.has(key)) {
        duplicates[si]++;
        continue;
      }
      seen.add(key);
      all.push({ ex, source: si });
    }
  });

  const { contaminated, report } = decontaminate(all.map((a) => a.ex), evalSets, config.decontamination.ngram);
  const contaminatedPer = perSource.map(() => 0);
  const overLimit = perSource.map(() => 0);
  const keptPer = perSource.map(() => 0);
  const final: SftExample[] = [];
  all.forEach((a, i) => {
    if (contaminated.has(i)) {
      contaminatedPer[a.source]++;
      return;
    }
    const limit = config.sources[a.source].limit;
    if (limit !== undefined && keptPer[a.source] >= limit) {
      overLimit[a.source]++;
      return;
    }
    keptPer[a.source]++;
    final.push(a.ex);
  });

  const data = toJsonl(final);
  const manifest = TrainDataManifest.parse({
    train_data: name,
    examples: final.length,
    sha256: sha256(data),
    sources: config.sources.map((s, i) => ({
      name: s.name,
      format: s.format,
      split: s.split,
      repo: s.repo,
      revision: s.revision,
      read: perSource[i].read,
      kept: keptPer[i],
      dropped: { filtered: perSource[i].filtered, duplicate: duplicates[i], contaminated: contaminatedPer[i], over_limit: overLimit[i] },
    })),
    decontamination: { ngram: config.decontamination.ngram, datasets: evalSets.map((s) => ({ dataset: s.dataset, sha256: s.sha256 ?? sha256(toJsonl(s.records)) })) },
    builder_version: SFT_BUILDER_VERSION,
  });
  writeDirAtomic(trainDataDir(root, name), {
    'data.jsonl': data,
    'manifest.json': JSON.stringify(manifest, null, 2) + '\n',
    'contamination.json': JSON.stringify(report, null, 2) + '\n',
  });
  return { manifest, contamination: report };
}
