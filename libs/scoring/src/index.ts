export * from './types';
export * from './registry';
export * from './runner/run-cell';
export { runsSandboxedCode, sandboxPreflight } from './code/preflight';
export { humanevalProgram, runHarness } from './code';
export * from './plugins';
// The helpers a plugin scorer builds on (the built-in generative scorers use the same ones).
export { scoreGenerations, aggregateScores, parseScorerOptions, simplePromptTurns, requireTarget, regexFilter, pyStrip, INVALID } from './exact-match';
export { buildGenerationRequests } from './prompts';
