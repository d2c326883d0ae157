export * from './types';
export * from './registry';
export * from './runner/run-cell';
export { runsSandboxedCode, sandboxPreflight } from './code/preflight';
