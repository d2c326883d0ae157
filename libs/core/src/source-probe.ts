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
