import { isCodeScorer, MissingDependencyError, type DatasetConfig } from '@evalgraph/core';
import { checkSandboxAvailable } from '@evalgraph/sandbox';

/** Whether a dataset's cells run model-written code in the sandbox (a code scorer without allow_unsandboxed). */
export function runsSandboxedCode(dataset: Pick<DatasetConfig, 'scorer' | 'scorer_options'>): boolean {
  return isCodeScorer(dataset.scorer) && dataset.scorer_options?.allow_unsandboxed !== true;
}

/**
 * Probes the default sandbox once, so a run with code cells fails with one message up front instead of once per
 * cell: the MissingDependencyError (with its fix), or null when the sandbox works here.
 */
export async function sandboxPreflight(): Promise<MissingDependencyError | null> {
  try {
    await checkSandboxAvailable();
    return null;
  } catch (e) {
    if (e instanceof MissingDependencyError) return e;
    throw e;
  }
}
