import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { z } from 'zod';
import { UserFacingError } from './errors';
import { isPathRef } from './schemas/plugin-ref';

/** A plugin that cannot be found, loaded, or does not export what the plugin API requires. */
export class PluginError extends UserFacingError {
  constructor(readonly ref: string, message: string) {
    super(`plugin ${ref}: ${message}`);
    this.name = 'PluginError';
  }
}

const PluginPackageJson = z.object({ name: z.string().min(1), version: z.string().min(1) });

/** Where a plugin lives and which version it is; found from disk without running its code. */
export interface ResolvedPlugin {
  ref: string;
  /** Absolute folder holding its package.json. */
  dir: string;
  /** The folder relative to the workspace root when it lives in the workspace (not in node_modules), else null. */
  workspaceDir: string | null;
  name: string;
  version: string;
}

/** Finds a plugin's folder and package.json: `./path` from the workspace root, a package name through node_modules. */
export function resolvePluginRef(root: string, ref: string): ResolvedPlugin {
  let dir: string;
  if (isPathRef(ref)) {
    dir = resolve(root, ref);
    if (!existsSync(join(dir, 'package.json'))) throw new PluginError(ref, `no package.json in ${dir} — a local plugin is a folder with a package.json (npx nx g @evalgraph/plugin:scorer <name> writes one)`);
  } else {
    try {
      dir = dirname(require.resolve(`${ref}/package.json`, { paths: [root] }));
    } catch {
      throw new PluginError(ref, `package not installed in ${root} — npm install --save-exact ${ref}, or name a local plugin folder as ./tools/plugins/<name>`);
    }
  }
  const real = realpathSync(dir);
  let pkg: z.infer<typeof PluginPackageJson>;
  try {
    pkg = PluginPackageJson.parse(JSON.parse(readFileSync(join(real, 'package.json'), 'utf8')));
  } catch (e) {
    throw new PluginError(ref, `${join(real, 'package.json')} needs a "name" and a "version" (${(e as Error).message.split('\n')[0]})`);
  }
  const rel = relative(realpathSync(root), real);
  const inWorkspace = rel !== '' && !rel.startsWith('..') && !rel.split(sep).includes('node_modules');
  return { ref, dir: real, workspaceDir: inWorkspace ? rel.split(sep).join('/') : null, name: pkg.name, version: pkg.version };
}
