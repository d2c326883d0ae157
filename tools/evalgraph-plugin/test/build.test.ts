import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { spawnSync } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';

const REPO = resolve(__dirname, '../../..');
const { ensureBuilt } = createRequire(__filename)(join(REPO, 'tools/evalgraph-plugin/bin/build.js')) as {
  ensureBuilt: (root: string, opts?: { force?: boolean }) => string[];
};

let roots: string[] = [];
afterEach(() => {
  for (const r of roots) rmSync(r, { recursive: true, force: true });
  roots = [];
});

/** A workspace with one lib (two modules and an asset) and a plugin package, as bin/build.js expects. */
function workspace(): string {
  const root = mkdtempSync(join(tmpdir(), 'evalgraph-build-'));
  roots.push(root);
  cpSync(join(REPO, 'tsconfig.settings.json'), join(root, 'tsconfig.settings.json'));
  mkdirSync(join(root, 'libs/demo/src/sub'), { recursive: true });
  writeFileSync(join(root, 'libs/demo/src/index.ts'), "import { twice } from './sub/twice';\nexport const answer: number = twice(21);\n");
  writeFileSync(join(root, 'libs/demo/src/sub/twice.ts'), 'export function twice(n: number): number {\n  return n * 2;\n}\n');
  writeFileSync(join(root, 'libs/demo/src/template.html'), '<p>kept as is</p>\n');
  mkdirSync(join(root, 'tools/evalgraph-plugin/src'), { recursive: true });
  writeFileSync(join(root, 'tools/evalgraph-plugin/src/index.ts'), 'export const plugin = "demo";\n');
  return root;
}

/** Loads the compiled module in a fresh Node process, as Nx's task processes do. */
function run(root: string, expr: string): string {
  const r = spawnSync(process.execPath, ['-e', `process.stdout.write(String(${expr}))`], { cwd: root, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
  return r.stdout;
}

describe('bin/build.js (compiled dist/ kept in step with src/)', () => {
  it('compiles every package, copies assets, and the output runs without a transpiler', () => {
    const root = workspace();
    const changed = ensureBuilt(root);
    expect(changed.sort()).toEqual(['libs/demo/src/index.ts', 'libs/demo/src/sub/twice.ts', 'libs/demo/src/template.html', 'tools/evalgraph-plugin/src/index.ts']);
    expect(run(root, "require('./libs/demo/dist/index.js').answer")).toBe('42');
    expect(readFileSync(join(root, 'libs/demo/dist/template.html'), 'utf8')).toBe('<p>kept as is</p>\n');
    expect(ensureBuilt(root)).toEqual([]);
  });

  it('recompiles exactly the edited source, and nothing when a copy only has new mtimes', () => {
    const root = workspace();
    ensureBuilt(root);
    writeFileSync(join(root, 'libs/demo/src/sub/twice.ts'), 'export function twice(n: number): number {\n  return n * 3;\n}\n');
    expect(ensureBuilt(root)).toEqual(['libs/demo/src/sub/twice.ts']);
    expect(run(root, "require('./libs/demo/dist/index.js').answer")).toBe('63');
    // A fresh checkout or a copied workspace: same bytes, new timestamps.
    const later = new Date(Date.now() + 60_000);
    utimesSync(join(root, 'libs/demo/src/index.ts'), later, later);
    expect(ensureBuilt(root)).toEqual([]);
  });

  it('removes the output of a deleted source, and rebuilds an output deleted by hand', () => {
    const root = workspace();
    ensureBuilt(root);
    rmSync(join(root, 'libs/demo/src/template.html'));
    rmSync(join(root, 'libs/demo/dist/sub/twice.js'));
    expect(ensureBuilt(root).sort()).toEqual(['libs/demo/src/sub/twice.ts', 'libs/demo/src/template.html']);
    expect(existsSync(join(root, 'libs/demo/dist/template.html'))).toBe(false);
    expect(existsSync(join(root, 'libs/demo/dist/sub/twice.js'))).toBe(true);
  });

  it('a source that does not compile fails with its path, and the last good output stays', () => {
    const root = workspace();
    ensureBuilt(root);
    writeFileSync(join(root, 'libs/demo/src/sub/twice.ts'), 'export function twice(n: number): number {\n  return n *;\n');
    expect(() => ensureBuilt(root)).toThrow(/evalgraph build: cannot compile libs\/demo\/src\/sub\/twice\.ts/);
    expect(run(root, "require('./libs/demo/dist/index.js').answer")).toBe('42');
  });

  it('the repository itself is built: every package main and every executor and generator entry resolves to a function', () => {
    ensureBuilt(REPO);
    const req = createRequire(join(REPO, 'package.json'));
    for (const file of ['executors.json', 'generators.json']) {
      const json = JSON.parse(readFileSync(join(REPO, 'tools/evalgraph-plugin', file), 'utf8')) as Record<string, Record<string, Record<string, string>>>;
      for (const [name, entry] of Object.entries(json.executors ?? json.generators)) {
        for (const key of ['implementation', 'batchImplementation', 'factory']) {
          if (!entry[key]) continue;
          const [path, exportName] = entry[key].split('#');
          expect(path, `${file} ${name}.${key}`).toBe('./compiled.js');
          expect(typeof (req(join(REPO, 'tools/evalgraph-plugin', path)) as Record<string, unknown>)[exportName], `${file} ${name}.${key}`).toBe('function');
        }
      }
    }
  });

  it('nx builds this workspace graph without loading the TypeScript compiler (no root tsconfig for Nx to read)', () => {
    // Nx reads a root tsconfig.json/tsconfig.base.json with the `typescript` package while it resolves a local
    // plugin's executors: about 0.3 s on every command (docs/architecture.md, "Compiled code").
    const dir = mkdtempSync(join(tmpdir(), 'evalgraph-probe-'));
    roots.push(dir);
    const probe = join(dir, 'probe.js');
    writeFileSync(
      probe,
      "process.on('exit', () => require('fs').writeFileSync(process.env.PROBE_OUT, Object.keys(require.cache).filter((k) => /node_modules[\\\\/]typescript[\\\\/]/.test(k)).join('\\n')));\n",
    );
    const out = join(dir, 'loaded.txt');
    const r = spawnSync(process.execPath, ['-r', probe, join(REPO, 'node_modules/nx/dist/bin/nx.js'), 'show', 'projects'], {
      cwd: REPO,
      encoding: 'utf8',
      env: { ...process.env, NX_DAEMON: 'false', NX_NO_CLOUD: 'true', PROBE_OUT: out },
    });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('pipeline-smoke');
    expect(readFileSync(out, 'utf8')).toBe('');
  });
});
