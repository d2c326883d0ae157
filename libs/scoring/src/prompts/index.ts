export * from './messages';
export * from './render';
export * from './generation-request';
