import { join } from 'node:path';
import { generateFiles, installPackagesTask, logger, names, type GeneratorCallback, type Tree } from '@nx/devkit';
import { isBuiltinScorer } from '@evalgraph/core';

/** Options of `nx g @evalgraph/plugin:scorer` (schema.json). */
export interface ScorerGeneratorOptions {
  name: string;
  directory?: string;
  skipInstall?: boolean;
}

/** A bad argument, reported as one line naming the argument and the fix. */
export class ScorerGeneratorError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ScorerGeneratorError';
  }
}

const NAME = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;

/** Writes a scorer plugin skeleton (package, scorer, test, README) to <directory>/<name>. */
export async function scorerGenerator(tree: Tree, options: ScorerGeneratorOptions): Promise<GeneratorCallback> {
  const name = options.name?.trim() ?? '';
  if (!NAME.test(name)) throw new ScorerGeneratorError(`scorer: name "${name}" is not a lower-case kebab name (letters, digits, dashes; e.g. "json-answer")`);
  if (isBuiltinScorer(name)) throw new ScorerGeneratorError(`scorer: "${name}" is a built-in scorer; choose another name (a dataset uses a built-in by its name, a plugin by its folder)`);
  const directory = (options.directory ?? 'tools/plugins').replace(/\/+$/, '');
  const root = `${directory}/${name}`;
  if (tree.exists(root)) throw new ScorerGeneratorError(`scorer: ${root} already exists; choose another name or remove it`);
  const n = names(name);
  generateFiles(tree, join(__dirname, 'files'), root, { ...n, name, packageName: `@evalgraph-plugins/${name}`, root, tmpl: '' });
  logger.info(
    [
      `Scorer plugin ${root}; next:`,
      `  1. Make src/scorer.ts score what you need (it starts as an exact match of the stripped answer) and its test pass: npx vitest run ${root}`,
      `  2. Use it in a dataset config: scorer: ./${root}   (scorer_options are passed to it as ctx.datasetConfig.scorer_options)`,
      `  3. npx nx run pipeline-<name>:check loads and validates it; editing it re-runs only the cells that use it.`,
    ].join('\n'),
  );
  // The folder is an npm workspace (tools/plugins/*): npm install links it and records it in package-lock.json,
  // without which `npm ci` refuses the lockfile.
  return () => {
    if (!options.skipInstall) installPackagesTask(tree, true);
  };
}

export default scorerGenerator;
