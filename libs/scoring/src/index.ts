export * from './types';
export * from './registry';
export * from './runner/run-cell';
