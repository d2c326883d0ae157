export * from './api';
export * from './validate';
export * from './load';
