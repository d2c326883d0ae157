import { formatFiles, generateFiles, type Tree } from '@nx/devkit';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { DatasetConfig, PLACEHOLDER_PREFIX, ScorerName, didYouMean, isFormatPlugin } from '@evalgraph/core';
import { NORMALIZERS } from '@evalgraph/datasets';
import { GeneratorError } from '../shared/generator-error';
import { parseOptions } from '../shared/options';
import { checkGenerated, readTreeConfig, reportTodos, requireNewName, treeConfigs } from '../shared/tree-configs';
import { DatasetGeneratorOptions } from './options';

const todo = (what: string) => `${PLACEHOLDER_PREFIX} ${what}`;

/** An existing dataset of the same format (the same scorer preferred): the model for mode, prompt and file roles. */
function referenceDataset(tree: Tree, format: string, scorer?: string): { name: string; config: DatasetConfig } | undefined {
  const same = treeConfigs(tree, 'dataset')
    .map((name) => ({ name, config: readTreeConfig(tree, 'dataset', name, DatasetConfig).value }))
    .filter((d): d is { name: string; config: DatasetConfig } => d.config?.format === format);
  return same.find((d) => d.config.scorer === scorer) ?? same[0];
}

function requireFormat(format: string): void {
  // A format plugin (a folder or a scoped package) is loaded and checked by prepare, like any plugin.
  if (format in NORMALIZERS || (isFormatPlugin(format) && DatasetConfig.shape.format.safeParse(format).success)) return;
  const known = Object.keys(NORMALIZERS);
  const guess = didYouMean(format, known);
  throw new GeneratorError(`--format: unknown format "${format}"; known: ${known.join(', ')}${guess ? ` — did you mean "${guess}"?` : ''}`);
}

function requireScorer(scorer: string): void {
  if (DatasetConfig.shape.scorer.safeParse(scorer).success) return;
  const guess = didYouMean(scorer, ScorerName.options);
  throw new GeneratorError(`--scorer: unknown scorer "${scorer}"; known: ${ScorerName.options.join(', ')}${guess ? ` — did you mean "${guess}"?` : ''}`);
}

/** The config to write: TODOs for the pinned source, the rest from the arguments and the reference dataset. */
function datasetConfig(name: string, format: string, scorer: string, split: string, ref?: DatasetConfig): Record<string, unknown> {
  // One entry per role the format reads (MMLU lists 57 data files: the user adds the rest like the first).
  const roles = ref ? [...new Set(ref.source.files.map((f) => f.role))] : ['data'];
  return {
    description: `${name}: ${format} records scored by ${scorer}.`,
    source: {
      kind: todo('github, huggingface or url'),
      repo: todo('"org/name" for github and huggingface; the base URL for url'),
      revision: todo('the 40-hex commit of the repository that holds the files'),
      license: todo("the dataset's license, e.g. MIT or CC-BY-4.0"),
      files: roles.map((role) => ({
        path: todo(`path of the ${role} file inside the repository`),
        sha256: todo('the sha256 of that file (sha256sum <file>)'),
        mirror_path: todo(`path of the same file in a local mirror, e.g. ${name}/<file name>`),
        role,
      })),
    },
    format,
    split,
    expected_records: todo('how many records prepare must produce (it fails on a mismatch)'),
    scorer,
    ...(ref && {
      ...(ref.scorer === scorer && Object.keys(ref.scorer_options).length > 0 && { scorer_options: ref.scorer_options }),
      mode: ref.mode,
      prompt: ref.prompt,
      ...(ref.max_tokens !== undefined && { max_tokens: ref.max_tokens }),
      ...(ref.stop && { stop: ref.stop }),
      ...(ref.samples_per_task !== 1 && { samples_per_task: ref.samples_per_task }),
    }),
  };
}

/** `nx g @evalgraph/plugin:dataset <name> --format <format> [--scorer <scorer>] [--split <split>]`. */
export default async function datasetGenerator(tree: Tree, raw: DatasetGeneratorOptions): Promise<void> {
  const options = parseOptions(DatasetGeneratorOptions, raw);
  requireNewName(tree, 'dataset', options.name);
  requireFormat(options.format);
  if (options.scorer !== undefined) requireScorer(options.scorer);
  const ref = referenceDataset(tree, options.format, options.scorer);
  const scorer = options.scorer ?? ref?.config.scorer;
  if (!scorer) throw new GeneratorError(`--scorer: no existing dataset uses format "${options.format}", so its scorer cannot be guessed; give one of ${ScorerName.options.join(', ')}`);
  const split = options.split ?? ref?.config.split ?? 'test';
  const body = stringify(datasetConfig(options.name, options.format, scorer, split, ref?.config), { lineWidth: 0 }).trimEnd();
  const command = ['nx g @evalgraph/plugin:dataset', options.name, `--format ${options.format}`, options.scorer && `--scorer ${options.scorer}`, options.split && `--split ${options.split}`].filter(Boolean).join(' ');
  generateFiles(tree, join(__dirname, 'files'), 'configs/datasets', { name: options.name, command, body, reference: ref?.name ?? '' });
  const left = checkGenerated(tree, 'dataset', options.name, DatasetConfig);
  if (!options.skipFormat) await formatFiles(tree);
  reportTodos(left, `npx nx run dataset-${options.name}:summary`);
}
