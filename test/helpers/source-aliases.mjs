// Inside vitest, `@evalgraph/<lib>` is the lib's TypeScript source (what the tests are about); processes the tests
// spawn resolve the package's `main`, its compiled dist/ (tools/evalgraph-plugin/bin/build.js).
// Plain .mjs: Vite loads its config's imports natively.
import { readdirSync } from 'node:fs';
import { resolve } from 'node:path';

/** Vite aliases from each workspace package name to its src/index.ts. @param {string} root */
export function sourceAliases(root) {
  const libs = readdirSync(resolve(root, 'libs')).map((lib) => ({ find: new RegExp(`^@evalgraph/${lib}$`), replacement: resolve(root, 'libs', lib, 'src/index.ts') }));
  return [...libs, { find: /^@evalgraph\/plugin$/, replacement: resolve(root, 'tools/evalgraph-plugin/src/index.ts') }];
}
