import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MissingDependencyError, sha256 } from '@evalgraph/core';
import type { ServerLora } from '@evalgraph/inference';
import { trainOutDir } from '../../nodes/train-project';

/** A trained adapter as a server loads it. */
export interface AdapterInfo {
  /** The name requests use: the LoRA run's name. */
  name: string;
  /** Absolute path of the peft adapter folder. */
  path: string;
  rank: number;
  /** sha256 of adapter_model.safetensors. */
  digest: string;
}

/** Reads the adapter `train-<run>:train` wrote; a missing or unreadable one says which target makes it. */
export function readAdapter(root: string, run: string): AdapterInfo {
  const path = join(root, trainOutDir(run), 'adapter');
  const cfgFile = join(path, 'adapter_config.json');
  const weights = join(path, 'adapter_model.safetensors');
  if (!existsSync(cfgFile) || !existsSync(weights)) {
    throw new MissingDependencyError(`the adapter of LoRA run ${run} is missing (${trainOutDir(run)}/adapter)`, `train it: npx nx run train-${run}:train`);
  }
  const rank = (JSON.parse(readFileSync(cfgFile, 'utf8')) as { r?: unknown }).r;
  if (typeof rank !== 'number' || !Number.isInteger(rank) || rank < 1) throw new MissingDependencyError(`${trainOutDir(run)}/adapter/adapter_config.json has no LoRA rank "r"`, `train it again: npx nx run train-${run}:train --skip-nx-cache`);
  return { name: run, path, rank, digest: sha256(readFileSync(weights)) };
}

/** The adapters one server loads for a group of cells (undefined when none asks for one). */
export function serverLora(adapters: AdapterInfo[]): ServerLora | undefined {
  const unique = [...new Map(adapters.map((a) => [a.name, a])).values()].sort((a, b) => a.name.localeCompare(b.name));
  if (!unique.length) return undefined;
  return { modules: unique.map((a) => ({ name: a.name, path: a.path })), maxRank: Math.max(...unique.map((a) => a.rank)) };
}
