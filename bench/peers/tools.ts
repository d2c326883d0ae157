import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

// semver ships with npm's dependency tree here (no @types): only these two functions are used.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const semver = require('semver') as { satisfies(v: string, range: string): boolean; rcompare(a: string, b: string): number };

/** Where the peer tools are installed: outside the repository, reused between runs (not a project dependency). */
export const TOOLS_DIR = process.env.EVALGRAPH_BENCH_TOOLS ?? path.join(tmpdir(), 'evalgraph-bench-tools');

const FALLBACK: Record<string, string> = { promptfoo: '0.121.20', autocannon: '8.0.0' };

function npm(args: string[], cwd?: string): string {
  return execFileSync('npm', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 900_000 });
}

/**
 * The newest release of `pkg` whose `engines.node` accepts this Node (one `npm view` of that package's versions);
 * falls back to a version known to run on Node 20 when the registry cannot be asked.
 */
export function newestForThisNode(pkg: string, from: string): { version: string; how: string } {
  try {
    const raw = JSON.parse(npm(['view', `${pkg}@>=${from}`, 'version', 'engines', '--json'])) as { version: string; engines?: { node?: string } }[] | { version: string; engines?: { node?: string } };
    const list = Array.isArray(raw) ? raw : [raw];
    const ok = list.filter((v) => !v.engines?.node || semver.satisfies(process.versions.node, v.engines.node)).map((v) => v.version);
    ok.sort(semver.rcompare);
    if (ok[0]) return { version: ok[0], how: `newest release whose engines.node accepts Node ${process.versions.node} (npm view ${pkg}@>=${from} version engines)` };
  } catch {
    // offline: use the fallback
  }
  return { version: FALLBACK[pkg], how: 'fallback (the registry could not be asked)' };
}

function installedVersion(pkg: string): string | null {
  const f = path.join(TOOLS_DIR, 'node_modules', pkg, 'package.json');
  return existsSync(f) ? (JSON.parse(readFileSync(f, 'utf8')) as { version: string }).version : null;
}

/** Installs promptfoo and autocannon (newest that run on this Node) into TOOLS_DIR unless already there. */
export function ensureTools(log: (s: string) => void): { promptfoo: string; autocannon: string; installCommand: string; how: string } {
  mkdirSync(TOOLS_DIR, { recursive: true });
  if (!existsSync(path.join(TOOLS_DIR, 'package.json'))) writeFileSync(path.join(TOOLS_DIR, 'package.json'), '{ "name": "evalgraph-bench-tools", "private": true }\n');
  const pf = newestForThisNode('promptfoo', '0.110.0');
  const ac = newestForThisNode('autocannon', '7.0.0');
  const want = [`promptfoo@${pf.version}`, `autocannon@${ac.version}`];
  const installCommand = `cd ${TOOLS_DIR} && npm install --no-audit --no-fund ${want.join(' ')}`;
  if (installedVersion('promptfoo') !== pf.version || installedVersion('autocannon') !== ac.version) {
    log(`installing ${want.join(' ')} into ${TOOLS_DIR} (once; not a project dependency)`);
    npm(['install', '--no-audit', '--no-fund', '--loglevel=error', ...want], TOOLS_DIR);
  }
  return { promptfoo: pf.version, autocannon: ac.version, installCommand, how: pf.how };
}

/** The JS entry of a tool's bin (run with this Node, never through a shell). */
export function toolBin(pkg: string, bin = pkg): string {
  const pj = JSON.parse(readFileSync(path.join(TOOLS_DIR, 'node_modules', pkg, 'package.json'), 'utf8')) as { bin?: string | Record<string, string> };
  const rel = typeof pj.bin === 'string' ? pj.bin : pj.bin?.[bin];
  if (!rel) throw new Error(`${pkg} has no bin ${bin}`);
  return path.join(TOOLS_DIR, 'node_modules', pkg, rel);
}
