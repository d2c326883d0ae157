import type { Tree } from '@nx/devkit';
import { logger, names } from '@nx/devkit';
import { CONFIG_PATHS, Slug, checkSource, didYouMean, formatProblem, parseYaml, placeholderProblems, type ConfigKind, type ConfigProblem } from '@evalgraph/core';
import type { z } from 'zod';
import { GeneratorError } from './generator-error';

const DIRS: Record<ConfigKind, string> = {
  model: 'configs/models',
  dataset: 'configs/datasets',
  preset: 'configs/presets',
  gpu: 'configs/gpus',
  pipeline: 'pipelines',
  'train-data': 'configs/train-data',
  train: 'configs/train',
};
/** Kinds whose configs are `<dir>/<name>.yaml` rather than `<dir>/<name>/<file>.yaml`. */
const FLAT = new Set<ConfigKind>(['preset', 'gpu', 'train-data', 'train']);

/** Names of the configs of one kind in the tree (on disk plus what this generator run already wrote). */
export function treeConfigs(tree: Tree, kind: ConfigKind): string[] {
  const dir = DIRS[kind];
  if (FLAT.has(kind)) {
    return tree.children(dir).filter((f) => f.endsWith('.yaml') && tree.isFile(`${dir}/${f}`)).map((f) => f.slice(0, -5)).sort();
  }
  return tree.children(dir).filter((d) => tree.exists(CONFIG_PATHS[kind](d))).sort();
}

/** The config `name` of `kind` as the loaders would see it: its value, or every problem with file and field. */
export function readTreeConfig<S extends z.ZodType>(tree: Tree, kind: ConfigKind, name: string, schema: S): { value?: z.output<S>; problems: ConfigProblem[] } {
  const file = CONFIG_PATHS[kind](name);
  const text = tree.read(file, 'utf8');
  if (text === null) return { problems: [{ file, field: '', expected: 'a readable file', found: 'ENOENT' }] };
  return checkSource(parseYaml(text, file), schema);
}

/** Throws unless `name` is a config of `kind` in the tree; `option` is the argument that named it. */
export function requireExisting(tree: Tree, kind: ConfigKind, name: string, option: string): void {
  const known = treeConfigs(tree, kind);
  if (known.includes(name)) return;
  const guess = didYouMean(name, known);
  throw new GeneratorError(
    `${option}: no ${kind} "${name}" (no ${CONFIG_PATHS[kind](name)}); known: ${known.join(', ') || 'none'}${guess ? ` — did you mean "${guess}"?` : ''}`,
  );
}

/** Throws unless `name` is a valid, unused name for a new config of `kind`. */
export function requireNewName(tree: Tree, kind: ConfigKind, name: string): void {
  if (!Slug.safeParse(name).success) {
    const suggestion = names(name).fileName.replace(/[^a-z0-9._-]/g, '-').replace(/^[^a-z0-9]+/, '');
    throw new GeneratorError(
      `name: expected a lower-case name of letters, digits, ".", "_" and "-" (it becomes the folder and the Nx project ${kind}-<name>), found "${name}"${suggestion ? ` — did you mean "${suggestion}"?` : ''}`,
    );
  }
  const file = CONFIG_PATHS[kind](name);
  if (tree.exists(file)) throw new GeneratorError(`name: ${kind} "${name}" already exists (${file}) — choose another name or edit that file`);
  const folder = file.slice(0, file.lastIndexOf('/'));
  if (kind !== 'preset' && kind !== 'gpu' && tree.exists(folder)) {
    throw new GeneratorError(`name: the folder ${folder} already exists (without ${file.slice(folder.length + 1)}) — remove it or choose another name`);
  }
}

/** Splits a comma-separated list argument; duplicates and empty entries are errors. */
export function listArgument(value: string | string[], option: string): string[] {
  const items = (Array.isArray(value) ? value : value.split(',')).map((s) => s.trim());
  if (items.length === 0 || items.some((s) => s === '')) throw new GeneratorError(`${option}: expected a comma-separated list of names, found "${String(value)}"`);
  const dup = items.find((s, i) => items.indexOf(s) !== i);
  if (dup) throw new GeneratorError(`${option}: "${dup}" is listed twice`);
  return items;
}

/**
 * Validates a file the generator wrote with the same schema as the loaders. Placeholders the user must fill in are
 * returned; any other problem is a bug in the generator or its template and stops it before anything reaches disk.
 */
export function checkGenerated<S extends z.ZodType>(tree: Tree, kind: ConfigKind, name: string, schema: S): ConfigProblem[] {
  const file = CONFIG_PATHS[kind](name);
  const src = parseYaml(tree.read(file, 'utf8') ?? '', file);
  const todo = placeholderProblems(src);
  const wrong = checkSource(src, schema).problems.filter((p) => !todo.some((t) => t.field === p.field));
  if (wrong.length) throw new GeneratorError(`the generated ${file} does not validate (nothing was written):\n${wrong.map(formatProblem).join('\n')}`);
  return todo;
}

/** Tells the user what is left to fill in, or that the config is complete, and the command that checks it. */
export function reportTodos(todo: ConfigProblem[], check: string): void {
  if (todo.length === 0) {
    logger.info(`Done. Check it with: ${check}`);
    return;
  }
  const n = todo.length;
  logger.warn(`${n} value${n > 1 ? 's are' : ' is'} left for you to fill in (\`${check}\` reports ${n > 1 ? 'them' : 'it'} until done):`);
  for (const p of todo) logger.warn(`  ${formatProblem(p)}`);
}
