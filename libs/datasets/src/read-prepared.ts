import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { DatasetRecord, IntegrityError, MissingDependencyError, PreparedManifest, parseJsonl, sha256 } from '@evalgraph/core';
import { auxFileName, preparedDir } from './paths';
import { DatasetUnavailableError, readUnavailable } from './source-unavailable';

/** A prepared dataset: its manifest and canonical records. */
export interface PreparedDataset {
  manifest: PreparedManifest;
  records: DatasetRecord[];
}

function notPrepared(root: string, name: string, missing: string): MissingDependencyError {
  return new MissingDependencyError(
    `dataset ${name} is not prepared (${relative(root, missing) || missing} is missing)`,
    `prepare it first: npx nx run dataset-${name}:prepare`,
  );
}

/** Reads the manifest of a prepared dataset (validated against the PreparedManifest schema). */
export function readManifest(root: string, name: string): PreparedManifest {
  const unavailable = readUnavailable(root, name);
  if (unavailable) throw new DatasetUnavailableError(name, unavailable);
  const file = join(preparedDir(root, name), 'manifest.json');
  if (!existsSync(file)) throw notPrepared(root, name, file);
  const parsed = PreparedManifest.safeParse(JSON.parse(readFileSync(file, 'utf8')));
  if (!parsed.success) throw new Error(`${file}: not a valid prepared manifest (${parsed.error.issues[0].message}) — delete the folder and prepare again`);
  return parsed.data;
}

/** Reads a prepared dataset; the JSONL must hash to the manifest's sha256 and every record must validate. */
export function readPrepared(root: string, name: string): PreparedDataset {
  const manifest = readManifest(root, name);
  const file = join(preparedDir(root, name), 'data.jsonl');
  if (!existsSync(file)) throw notPrepared(root, name, file);
  const bytes = readFileSync(file);
  const found = sha256(bytes);
  if (found !== manifest.sha256) throw new IntegrityError(`dataset ${name}: ${relative(root, file)} (prepared output)`, manifest.sha256, found);
  const records = parseJsonl(bytes.toString('utf8'), file).map((r, i) => {
    const parsed = DatasetRecord.safeParse(r);
    if (!parsed.success) throw new Error(`${file}:${i + 1}: not a valid DatasetRecord (${parsed.error.issues[0].message}) — prepare the dataset again`);
    return parsed.data;
  });
  return { manifest, records };
}

/**
 * Reads an aux list written by prepare (`fewshot` records, MT-Bench `judge_prompts`, ...), or
 * undefined when the dataset has none of that role.
 */
export function readPreparedAux(root: string, name: string, role: 'fewshot'): DatasetRecord[] | undefined;
export function readPreparedAux(root: string, name: string, role: string): unknown[] | undefined;
export function readPreparedAux(root: string, name: string, role: string): DatasetRecord[] | unknown[] | undefined {
  const file = join(preparedDir(root, name), auxFileName(role));
  if (!existsSync(file)) return undefined;
  const items = parseJsonl(readFileSync(file, 'utf8'), file);
  if (role !== 'fewshot') return items;
  return items.map((r, i) => {
    const parsed = DatasetRecord.safeParse(r);
    if (!parsed.success) throw new Error(`${file}:${i + 1}: not a valid DatasetRecord (${parsed.error.issues[0].message}) — prepare the dataset again`);
    return parsed.data;
  });
}

/** Roles of the aux lists a prepared dataset has (fewshot.jsonl -> "fewshot"), sorted. */
export function listPreparedAux(root: string, name: string): string[] {
  const dir = preparedDir(root, name);
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.jsonl') && f !== 'data.jsonl')
    .map((f) => f.slice(0, -'.jsonl'.length))
    .sort();
}
