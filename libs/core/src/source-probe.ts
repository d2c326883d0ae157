import { statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { DatasetConfig } from './schemas/dataset';

/** The download cache, relative to the workspace root: raw source files named by their sha256. */
export const DOWNLOADS_DIR = '.evalgraph/downloads';

const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/**
 * A shell command (run by Nx as a runtime input of `prepare`, in the workspace root) that prints the sizes of the
 * source files where prepare will read them — the mirror (EVALGRAPH_DATA_MIRROR, else the config's `mirror` when
 * that folder exists, as resolveMirror picks it) or the download cache — and, when any is missing, a line that is
 * different every time. So a prepare that could not fetch its source is never restored from cache: the next run
 * tries again, while a dataset whose files are here keeps one hash and is cached as before.
 */
export function sourceProbeCommand(config: DatasetConfig, downloadsDir: string = DOWNLOADS_DIR): string {
  const mirrorFiles = config.source.files.map((f) => quote(f.mirror_path)).join(' ');
  const cachedFiles = config.source.files.map((f) => quote(f.sha256)).join(' ');
  const fromConfig = config.mirror ? `[ -z "$m" ] && [ -d ${quote(config.mirror)} ] && m=${quote(config.mirror)}; ` : '';
  return (
    `m="\${EVALGRAPH_DATA_MIRROR:-}"; ${fromConfig}` +
    `{ if [ -n "$m" ]; then cd "$m" && wc -c -- ${mirrorFiles}; else cd ${quote(downloadsDir)} && wc -c -- ${cachedFiles}; fi; } 2>/dev/null` +
    ` || echo "absent $$ $(date +%s%N)"`
  );
}

const isFile = (p: string) => statSync(p, { throwIfNoEntry: false })?.isFile() ?? false;
const isDir = (p: string) => statSync(p, { throwIfNoEntry: false })?.isDirectory() ?? false;

/**
 * Whether every source file is, right now, where prepare will read it: the same places sourceProbeCommand looks
 * (EVALGRAPH_DATA_MIRROR, else the config's `mirror` when that folder exists, else the download cache by sha256),
 * checked in this process. The plugin asks it while building the graph, so a dataset whose files are here needs no
 * probe spawned at hashing time.
 */
export function sourceFilesPresent(root: string, config: Pick<DatasetConfig, 'mirror' | 'source'>, downloadsDir: string = DOWNLOADS_DIR, env: NodeJS.ProcessEnv = process.env): boolean {
  const explicit = env.EVALGRAPH_DATA_MIRROR ? resolve(root, env.EVALGRAPH_DATA_MIRROR) : undefined;
  const fromConfig = config.mirror && isDir(resolve(root, config.mirror)) ? resolve(root, config.mirror) : undefined;
  const mirror = explicit ?? fromConfig;
  const paths = mirror ? config.source.files.map((f) => join(mirror, f.mirror_path)) : config.source.files.map((f) => resolve(root, downloadsDir, f.sha256));
  return paths.every(isFile);
}
