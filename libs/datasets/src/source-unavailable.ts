import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MissingDependencyError, UserFacingError } from '@evalgraph/core';
import { preparedDir } from './paths';
import { writeDirAtomic } from './write-dir';

/**
 * A pinned source this machine cannot reach right now (no network, not in the mirror). Unlike a sha256 mismatch or a
 * normalizer failure it says nothing about the data, so a pipeline's other datasets go on without it.
 */
export class SourceUnavailableError extends MissingDependencyError {
  constructor(message: string, fix: string) {
    super(message, fix);
    this.name = 'SourceUnavailableError';
  }
}

/** What a cell of that dataset fails with: the prepare's own error (which already says how to fix it). */
export class DatasetUnavailableError extends UserFacingError {
  constructor(readonly dataset: string, recorded: string) {
    super(`${recorded} (recorded by dataset-${dataset}:prepare in this run)`);
    this.name = 'DatasetUnavailableError';
  }
}

/** The marker a tolerant prepare leaves in place of the prepared files. */
const MARKER = 'unavailable.json';

/** Replaces a dataset's prepared folder with a marker carrying the error, so its cells fail with it. */
export function markUnavailable(root: string, name: string, error: SourceUnavailableError): void {
  const body = { dataset: name, error: error.message };
  writeDirAtomic(preparedDir(root, name), { [MARKER]: JSON.stringify(body, null, 2) + '\n' });
}

/** The error a tolerant prepare recorded for this dataset in this run, if any. */
export function readUnavailable(root: string, name: string): string | undefined {
  const file = join(preparedDir(root, name), MARKER);
  if (!existsSync(file)) return undefined;
  try {
    return (JSON.parse(readFileSync(file, 'utf8')) as { error?: string }).error ?? `dataset ${name} could not be prepared`;
  } catch {
    return `dataset ${name} could not be prepared (${file} is unreadable)`;
  }
}
