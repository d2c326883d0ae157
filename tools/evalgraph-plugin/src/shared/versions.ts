import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** Versions recorded in run.json: evalgraph, node, nx. */
export function toolVersions(root: string): Record<string, string> {
  const read = (p: string) => {
    try {
      return JSON.parse(readFileSync(join(root, p), 'utf8')).version as string;
    } catch {
      return 'unknown';
    }
  };
  return { evalgraph: read('package.json'), node: process.version, nx: read('node_modules/nx/package.json') };
}
