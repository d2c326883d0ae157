import { join } from 'node:path';
import { CONFIG_PATHS, storageLayout } from '@evalgraph/core';

/** Where `prepare` writes a dataset's canonical JSONL, manifest and aux files. */
export function preparedDir(root: string, name: string): string {
  return join(root, '.evalgraph', 'prepared', name);
}

/** The download cache: raw source files named by their sha256, under .evalgraph/ or the storage path. */
export function downloadsDir(root: string): string {
  return storageLayout(root).downloads;
}

/** The config file of a dataset, relative to the workspace root (for messages). */
export function datasetConfigFile(name: string): string {
  return CONFIG_PATHS.dataset(name);
}

const RESERVED_ROLES = new Set(['data', 'manifest', 'summary']);

/** File name of an aux list (role "fewshot" -> fewshot.jsonl); roles are plain names, never paths. */
export function auxFileName(role: string): string {
  if (!/^[a-z0-9][a-z0-9_-]*$/.test(role)) throw new Error(`aux role ${JSON.stringify(role)} is not a plain lower-case name`);
  if (RESERVED_ROLES.has(role)) throw new Error(`aux role "${role}" would overwrite a prepared file of the same name`);
  return `${role}.jsonl`;
}
