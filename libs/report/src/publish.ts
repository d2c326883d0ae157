import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { sha256, writeFileAtomic } from '@evalgraph/core';
import type { Summary } from './summary-schema';

/** Manifest of a published report: which files belong to it and their hashes. */
export const MANIFEST = '.published.json';
export const PREVIOUS_DIR = '.previous';
export const CANDIDATE_DIR = '.candidate';
const JOURNAL = '.publish-journal.json';

/** Publishing could not be done (bad file name, nothing to roll back to). */
export class PublishError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PublishError';
  }
}

interface Manifest {
  files: Record<string, string>;
  published_at: string;
  note?: string;
}

interface Journal {
  staging: string;
  previous_staging: string | null;
}

export interface PublishOptions {
  /** Only a ready, complete run replaces the published report. */
  ready: boolean;
  /** Why it is not ready (kept with the rejected candidate). */
  reason?: string;
  /** Test hook: called after each step; throwing from it simulates a crash at that point. */
  onStep?: (step: 'staged' | 'previous-saved' | 'file-moved') => void;
}

export interface PublishResult {
  published: boolean;
  /** Files now published in `dir` (unchanged ones when not published). */
  files: string[];
  /** Where a rejected report was written instead. */
  candidate?: string;
  reason?: string;
}

/** Whether a summary may replace the published report: every cell present and every gate passed. */
export function publishDecision(s: Summary): { ready: boolean; reason?: string } {
  if (!s.complete) return { ready: false, reason: `partial run: ${s.missing_cells.length} cell(s) missing` };
  if (!s.readiness.pass) return { ready: false, reason: `readiness failed: ${s.readiness.gates.filter((g) => !g.pass).map((g) => `${g.gate} (${g.reason})`).join('; ')}` };
  return { ready: true };
}

function readManifest(dir: string): Manifest | null {
  const f = join(dir, MANIFEST);
  return existsSync(f) ? (JSON.parse(readFileSync(f, 'utf8')) as Manifest) : null;
}

function checkNames(files: Record<string, unknown>): void {
  for (const name of Object.keys(files)) {
    if (basename(name) !== name || name.startsWith('.') || name === '') throw new PublishError(`cannot publish "${name}": a report file is a plain file name without a leading dot`);
  }
}

/** Writes files plus their manifest into a fresh directory next to `dir`'s contents. */
function stage(dir: string, prefix: string, files: Record<string, string | Uint8Array>, note?: string): string {
  const staging = mkdtempSync(join(dir, prefix));
  const manifest: Manifest = { files: {}, published_at: new Date().toISOString(), ...(note ? { note } : {}) };
  for (const [name, data] of Object.entries(files)) {
    writeFileSync(join(staging, name), data);
    manifest.files[name] = sha256(typeof data === 'string' ? Buffer.from(data, 'utf8') : data);
  }
  writeFileSync(join(staging, MANIFEST), JSON.stringify(manifest, null, 2) + '\n');
  return staging;
}

/** Replaces directory `target` by `source` (rename; the old one is removed afterwards). */
function swapDir(source: string, target: string): void {
  const old = `${target}.old`;
  rmSync(old, { recursive: true, force: true });
  if (existsSync(target)) renameSync(target, old);
  renameSync(source, target);
  rmSync(old, { recursive: true, force: true });
}

/**
 * Finishes a publish that was interrupted after its journal was written: the staged report is complete,
 * so it is rolled forward. Idempotent; a no-op when there is no journal.
 */
function recover(dir: string, onStep?: PublishOptions['onStep']): void {
  const jf = join(dir, JOURNAL);
  if (!existsSync(jf)) {
    removeOrphans(dir);
    return;
  }
  const j = JSON.parse(readFileSync(jf, 'utf8')) as Journal;
  if (j.previous_staging && existsSync(j.previous_staging)) swapDir(j.previous_staging, join(dir, PREVIOUS_DIR));
  onStep?.('previous-saved');
  const next = readManifest(j.staging) ?? readManifest(dir);
  const old = readManifest(join(dir, PREVIOUS_DIR));
  if (existsSync(j.staging)) {
    for (const name of Object.keys(next?.files ?? {})) {
      if (existsSync(join(j.staging, name))) {
        renameSync(join(j.staging, name), join(dir, name));
        onStep?.('file-moved');
      }
    }
    // Files of the old report that the new one lacks are stale; they are kept in .previous.
    for (const name of Object.keys(old?.files ?? {})) if (!(name in (next?.files ?? {}))) rmSync(join(dir, name), { force: true });
    if (existsSync(join(j.staging, MANIFEST))) renameSync(join(j.staging, MANIFEST), join(dir, MANIFEST));
    rmSync(j.staging, { recursive: true, force: true });
  }
  rmSync(jf, { force: true });
  removeOrphans(dir);
}

/** Staging directories left by a publish that died before its journal was written: never part of a report. */
function removeOrphans(dir: string): void {
  for (const name of readdirSync(dir)) {
    if (/^\.(staging|previous-staging|candidate-staging)-/.test(name)) rmSync(join(dir, name), { recursive: true, force: true });
  }
}

/** Copies the currently published report (per its manifest) into a staging directory; null when none. */
function stageCurrent(dir: string): string | null {
  const cur = readManifest(dir);
  if (!cur) return null;
  const staging = mkdtempSync(join(dir, '.previous-staging-'));
  for (const name of Object.keys(cur.files)) if (existsSync(join(dir, name))) cpSync(join(dir, name), join(staging, name));
  cpSync(join(dir, MANIFEST), join(staging, MANIFEST));
  return staging;
}

/**
 * Publishes report files into `dir` atomically: they are written to a staging directory, the current
 * report is saved to `<dir>/.previous/`, then the staged files are renamed into place under a journal,
 * so a crash at any point is finished by the next publish or rollback. A run that is not ready (failed
 * readiness, partial run) never replaces the published report: it goes to `<dir>/.candidate/` instead.
 */
export function publishReport(dir: string, files: Record<string, string | Uint8Array>, opts: PublishOptions): PublishResult {
  checkNames(files);
  mkdirSync(dir, { recursive: true });
  recover(dir);
  if (!opts.ready) {
    const staging = stage(dir, '.candidate-staging-', files, `not published: ${opts.reason ?? 'not ready'}`);
    swapDir(staging, join(dir, CANDIDATE_DIR));
    return { published: false, files: Object.keys(readManifest(dir)?.files ?? {}), candidate: join(dir, CANDIDATE_DIR), reason: opts.reason ?? 'not ready' };
  }
  const staging = stage(dir, '.staging-', files);
  opts.onStep?.('staged');
  const previous = stageCurrent(dir);
  writeFileAtomic(join(dir, JOURNAL), JSON.stringify({ staging, previous_staging: previous } satisfies Journal));
  recover(dir, opts.onStep);
  rmSync(join(dir, CANDIDATE_DIR), { recursive: true, force: true });
  return { published: true, files: Object.keys(files) };
}

/** Restores the previously published report; the one it replaces becomes the previous (so rollback is undoable). */
export function rollbackReport(dir: string): PublishResult {
  recover(dir);
  const prevDir = join(dir, PREVIOUS_DIR);
  const prev = readManifest(prevDir);
  if (!prev) throw new PublishError(`${dir}: no previous published report to restore (${PREVIOUS_DIR}/${MANIFEST} is absent)`);
  const files = Object.fromEntries(Object.keys(prev.files).map((name) => [name, readFileSync(join(prevDir, name))]));
  return publishReport(dir, files, { ready: true });
}

/** Names of the files of the report published in `dir` (empty when none). */
export function publishedFiles(dir: string): string[] {
  return Object.keys(readManifest(dir)?.files ?? {}).sort();
}
