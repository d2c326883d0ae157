import { accessSync, constants } from 'node:fs';
import { delimiter, isAbsolute, join } from 'node:path';

/** Absolute path of an executable (as given when absolute, else searched on PATH), or null. */
export function which(cmd: string, pathEnv = process.env.PATH ?? ''): string | null {
  // The usual system directories come last, for callers whose PATH was trimmed.
  const dirs = [...pathEnv.split(delimiter).filter(Boolean), '/usr/bin', '/bin', '/usr/sbin', '/sbin'];
  const candidates = isAbsolute(cmd) ? [cmd] : dirs.map((d) => join(d, cmd));
  for (const c of candidates) {
    try {
      accessSync(c, constants.X_OK);
      return c;
    } catch {
      // not here
    }
  }
  return null;
}
