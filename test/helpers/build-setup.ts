// Vitest global setup: compile libs/* and the plugin into dist/ once before any file starts, so the nx runs and CLI
// processes the tests spawn load up-to-date JavaScript and never race to rebuild it (tools/evalgraph-plugin/bin/build.js).
import { createRequire } from 'node:module';
import { resolve } from 'node:path';

export default function setup() {
  const root = resolve(__dirname, '../..');
  const { ensureBuilt } = createRequire(__filename)(resolve(root, 'tools/evalgraph-plugin/bin/build.js')) as { ensureBuilt: (root: string) => string[] };
  ensureBuilt(root);
}
