/** Nx project names for each kind of config. */
export const projectName = {
  model: (name: string) => `model-${name}`,
  dataset: (name: string) => `dataset-${name}`,
  pipeline: (name: string) => `pipeline-${name}`,
  trainData: (name: string) => `train-data-${name}`,
  train: (run: string) => `train-${run}`,
  cell: (pipeline: string, variant: string, dataset: string) => `cell-${pipeline}--${variant}--${dataset}`,
};
