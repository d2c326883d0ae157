import { lstatSync, readdirSync, type Stats } from 'node:fs';
import { join } from 'node:path';

/** Bytes and newest modification time of a file or folder tree (symlinks are counted, never followed). */
export interface DiskUsage {
  bytes: number;
  newestMs: number;
}

function stat(path: string): Stats | null {
  try {
    return lstatSync(path);
  } catch {
    return null; // removed while we walked it
  }
}

/** Size and newest mtime of `path` and everything under it; zero for a path that does not exist. */
export function diskUsage(path: string): DiskUsage {
  const st = stat(path);
  if (!st) return { bytes: 0, newestMs: 0 };
  if (!st.isDirectory()) return { bytes: st.size, newestMs: st.mtimeMs };
  let bytes = 0;
  let newestMs = st.mtimeMs;
  let names: string[] = [];
  try {
    names = readdirSync(path);
  } catch {
    names = [];
  }
  for (const name of names) {
    const u = diskUsage(join(path, name));
    bytes += u.bytes;
    newestMs = Math.max(newestMs, u.newestMs);
  }
  return { bytes, newestMs };
}

/** Entries directly inside a folder (none when it does not exist). */
export function listDir(dir: string): string[] {
  try {
    return readdirSync(dir).sort();
  } catch {
    return [];
  }
}

/** "12.3 MB" (1 MB = 1024² bytes, as `du -h` counts). */
export function formatBytes(b: number): string {
  if (b < 1024) return `${b} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let v = b / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(1)} ${units[i]}`;
}
