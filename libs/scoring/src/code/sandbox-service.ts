import { createSandbox, type Sandbox } from '@evalgraph/sandbox';
import type { ScoringContext } from '../types';

/**
 * The typed form of ScoringServices.sandbox. To be merged into libs/scoring/src/types.ts as
 * `sandbox?: Sandbox` (import type { Sandbox } from '@evalgraph/sandbox').
 */
export interface CodeScoringServices {
  /** Runs untrusted Python; when absent, code scorers create one sandbox per process. */
  sandbox?: Sandbox;
}

function isSandbox(v: unknown): v is Sandbox {
  return typeof v === 'object' && v !== null && typeof (v as { run?: unknown }).run === 'function';
}

const defaults = new Map<boolean, Sandbox>();

/**
 * The sandbox a code scorer uses: the injected ctx.services.sandbox, else a per-process default.
 * The default never runs code unsandboxed unless the dataset's scorer_options.allow_unsandboxed is true.
 */
export function sandboxFor(ctx: ScoringContext, allowUnsandboxed: boolean): Sandbox {
  const injected: unknown = ctx.services.sandbox;
  if (injected !== undefined) {
    if (!isSandbox(injected)) throw new TypeError('ScoringServices.sandbox is not a Sandbox from @evalgraph/sandbox (it has no run method)');
    return injected;
  }
  let s = defaults.get(allowUnsandboxed);
  if (!s) {
    s = createSandbox({ allowUnsandboxed });
    defaults.set(allowUnsandboxed, s);
  }
  return s;
}
