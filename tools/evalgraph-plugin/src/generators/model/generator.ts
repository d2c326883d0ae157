import { formatFiles, generateFiles, type Tree } from '@nx/devkit';
import { join } from 'node:path';
import { isMap, isScalar, parseDocument } from 'yaml';
import { CONFIG_PATHS, ModelConfig, PLACEHOLDER_PREFIX, PinnedRevision, formatProblem } from '@evalgraph/core';
import { GeneratorError } from '../shared/generator-error';
import { parseOptions } from '../shared/options';
import { checkGenerated, readTreeConfig, reportTodos, requireExisting, requireNewName } from '../shared/tree-configs';
import { ModelGeneratorOptions } from './options';

/** The --from model's YAML (comments kept) with the new weights' id and revision. */
function modelBody(tree: Tree, options: { from: string; hfId?: string; revision?: string }): { body: string; todo: boolean } {
  const source = readTreeConfig(tree, 'model', options.from, ModelConfig);
  if (!source.value) throw new GeneratorError(`--from: ${CONFIG_PATHS.model(options.from)} is not a valid model config; fix it first:\n${source.problems.map(formatProblem).join('\n')}`);
  const doc = parseDocument(tree.read(CONFIG_PATHS.model(options.from), 'utf8') ?? '');
  // The template writes its own header; the source's schema line may sit on the document or on its first key.
  doc.commentBefore = null;
  if (isMap(doc.contents) && isScalar(doc.contents.items[0]?.key)) {
    const first = doc.contents.items[0].key;
    first.commentBefore = first.commentBefore?.split('\n').filter((l) => !l.includes('yaml-language-server')).join('\n') || null;
  }
  const newWeights = options.hfId !== undefined && options.hfId !== source.value.hf_id;
  if (options.hfId !== undefined) doc.set('hf_id', options.hfId);
  const revision = options.revision ?? (newWeights ? `${PLACEHOLDER_PREFIX} the 40-hex commit of ${options.hfId} to pin (https://huggingface.co/${options.hfId}/commits/main)` : undefined);
  if (revision !== undefined) doc.set('revision', revision);
  doc.set('description', newWeights ? `${options.hfId}, served with the settings of ${options.from}.` : source.value.description ?? `${source.value.hf_id}, from ${options.from}.`);
  if (newWeights && isMap(doc.contents)) {
    const pair = doc.contents.items.find((p) => isScalar(p.key) && p.key.value === 'architecture');
    if (pair && isScalar(pair.key)) pair.key.commentBefore = ` Copied from ${options.from}: check every number against ${options.hfId}'s config.json.`;
  }
  return { body: doc.toString({ lineWidth: 0 }).trimEnd(), todo: revision?.startsWith(PLACEHOLDER_PREFIX) ?? false };
}

/** `nx g @evalgraph/plugin:model <name> --from <existing> [--hf-id org/name] [--revision sha]`. */
export default async function modelGenerator(tree: Tree, raw: ModelGeneratorOptions): Promise<void> {
  const options = parseOptions(ModelGeneratorOptions, raw);
  requireNewName(tree, 'model', options.name);
  requireExisting(tree, 'model', options.from, '--from');
  const hf = ModelConfig.shape.hf_id.safeParse(options.hfId);
  if (options.hfId !== undefined && !hf.success) throw new GeneratorError(`--hf-id: expected a Hugging Face id "org/name", found "${options.hfId}"`);
  if (options.revision !== undefined && !PinnedRevision.safeParse(options.revision).success) {
    throw new GeneratorError(`--revision: expected a 40-hex commit sha (a pinned revision, not a branch), found "${options.revision}"`);
  }
  const { body, todo } = modelBody(tree, options);
  const command = ['nx g @evalgraph/plugin:model', options.name, `--from ${options.from}`, options.hfId && `--hf-id ${options.hfId}`, options.revision && `--revision ${options.revision}`].filter(Boolean).join(' ');
  generateFiles(tree, join(__dirname, 'files'), 'configs/models', { name: options.name, command, body, todo });
  const left = checkGenerated(tree, 'model', options.name, ModelConfig);
  if (!options.skipFormat) await formatFiles(tree);
  reportTodos(left, `npx nx run model-${options.name}:validate`);
}
