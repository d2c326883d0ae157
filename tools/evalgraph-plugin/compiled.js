'use strict';
// executors.json and generators.json point here ("./compiled.js#<name>") rather than at dist/ directly: Nx maps a
// local plugin's dist/ paths back to its TypeScript sources, and each task process must recompile what changed.
const { ensureBuilt } = require('./bin/build');

const ENTRIES = {
  evaluate: 'executors/evaluate/executor',
  evaluateBatch: 'executors/evaluate/batch',
  prepare: 'executors/prepare/executor',
  prepareTrainData: 'executors/train-data/executor',
  train: 'executors/train/executor',
  summary: 'executors/summary/executor',
  validate: 'executors/validate/executor',
  coverage: 'executors/coverage/executor',
  check: 'executors/check/executor',
  compare: 'executors/compare/executor',
  report: 'executors/report/executor',
  readiness: 'executors/readiness/executor',
  rollback: 'executors/rollback/executor',
  modelGenerator: 'generators/model/generator',
  datasetGenerator: 'generators/dataset/generator',
  pipelineGenerator: 'generators/pipeline/generator',
  scorerGenerator: 'generators/scorer/generator',
};

let built = false;
for (const [name, rel] of Object.entries(ENTRIES)) {
  Object.defineProperty(exports, name, {
    enumerable: true,
    get() {
      if (!built) ensureBuilt();
      built = true;
      return require(`./dist/${rel}`).default;
    },
  });
}
