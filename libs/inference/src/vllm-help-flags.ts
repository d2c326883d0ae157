import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { z } from 'zod';
import { UserFacingError, writeFileAtomic } from '@evalgraph/core';
import { FROZEN_VLLM_FLAG_SET, type VllmFlagKind, type VllmFlagSet } from './vllm-flags';
import { resolveVllmExecutable } from './proc';
import { vllmRuntimeVersion } from './runtime-version';

/**
 * Parses `vllm serve --help=all` into flag name → kind. The output is argparse's help (vLLM ≥ 0.10 prints it
 * in titled groups — ModelConfig, CacheConfig, Frontend, ... — each option sorted by its option strings, via
 * vllm/utils/argparse_utils.py SortedHelpFormatter). An option's invocation line is indented two spaces:
 *   `  --enable-prefix-caching, --no-enable-prefix-caching`   BooleanOptionalAction → 'bool'
 *   `  --max-model-len MAX_MODEL_LEN` / `--dtype {auto,half}`  takes a value → 'value'
 *   `  -tp TENSOR_PARALLEL_SIZE, --tensor-parallel-size TENSOR_PARALLEL_SIZE` (Python ≤ 3.12) or
 *   `  -tp, --tensor-parallel-size TENSOR_PARALLEL_SIZE` (Python ≥ 3.13: the metavar once, at the end)
 *   `  --headless             Run in headless mode.`       store_true → 'switch'
 * Help text is indented further (24 columns) and the JSON tip's examples by three spaces, so neither matches.
 */
export function parseServeHelp(text: string): Record<string, VllmFlagKind> {
  const out: Record<string, VllmFlagKind> = {};
  for (const line of text.split('\n')) {
    const m = /^ {2}(-{1,2}[A-Za-z0-9].*)$/.exec(line.replace(/\r$/, ''));
    if (!m) continue;
    const invocation = m[1].split(/\s{2,}/)[0];
    const parts = invocation.split(', ').map((p) => p.trim());
    const longs = parts.filter((p) => p.startsWith('--')).map((p) => p.split(' ')[0].replace(/^--/, ''));
    if (longs.length === 0 || longs.includes('help')) continue;
    const takesValue = parts.some((p) => / \S/.test(p));
    const negated = new Set(longs.filter((n) => n.startsWith('no-') && longs.includes(n.slice(3))));
    const kind: VllmFlagKind = negated.size ? 'bool' : takesValue ? 'value' : 'switch';
    for (const name of longs) if (!negated.has(name)) out[name] = kind;
  }
  return out;
}

const CacheFile = z
  .object({
    schema: z.literal(1),
    version: z.string(),
    source: z.literal('vllm serve --help=all'),
    executable: z.string(),
    created: z.string(),
    flags: z.record(z.string(), z.enum(['value', 'bool', 'switch'])),
  })
  .strict();

/** Where the parsed flag list of one vLLM version is kept. */
export function vllmFlagsCacheFile(workspaceRoot: string, version: string): string {
  return join(workspaceRoot, '.evalgraph', 'vllm-flags', `vllm-${version.replace(/[^A-Za-z0-9._+-]+/g, '_')}.json`);
}

/** A vLLM whose help could not be read: the message names the command and the fix. */
export class VllmHelpError extends UserFacingError {
  constructor(message: string) {
    super(message);
    this.name = 'VllmHelpError';
  }
}

function runHelp(exe: string, env: NodeJS.ProcessEnv): string {
  try {
    // A real vLLM imports torch and builds every config class to print this (seconds): once per version.
    return execFileSync(exe, ['serve', '--help=all'], { encoding: 'utf8', timeout: 180_000, maxBuffer: 64 << 20, env, stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    const err = e as Error & { stderr?: string };
    const tail = (err.stderr || err.message).trim().split('\n').slice(-3).join(' | ');
    throw new VllmHelpError(`\`${exe} serve --help=all\` failed: ${tail}`);
  }
}

const memo = new Map<string, VllmFlagSet>();

/** Options for finding the installed vLLM's flags. */
export interface InstalledFlagsOptions {
  /** The vLLM executable (default: $EVALGRAPH_VLLM or `vllm` on PATH; none found → the frozen list). */
  executable?: string;
  env?: NodeJS.ProcessEnv;
  /** The version, when the caller already has it (default: vllmRuntimeVersion, memoized). */
  version?: string | null;
}

/**
 * The flags the installed vLLM accepts: `vllm serve --help=all` parsed once per vLLM version and cached in
 * <root>/.evalgraph/vllm-flags/vllm-<version>.json (a vLLM upgrade reads the new version's help). Without a
 * vLLM, or one that reports no version, the frozen 0.11 list (FROZEN_VLLM_FLAG_SET) is returned.
 */
export function installedVllmFlags(workspaceRoot: string, opts: InstalledFlagsOptions = {}): VllmFlagSet {
  const env = opts.env ?? process.env;
  let exe: string;
  try {
    exe = opts.executable ?? resolveVllmExecutable(env);
  } catch {
    return FROZEN_VLLM_FLAG_SET;
  }
  const version = opts.version !== undefined ? opts.version : vllmRuntimeVersion(exe);
  if (!version) return FROZEN_VLLM_FLAG_SET;
  const file = vllmFlagsCacheFile(workspaceRoot, version);
  const hit = memo.get(file);
  if (hit) return hit;
  const shown = relative(workspaceRoot, file) || file;
  let flags: Record<string, VllmFlagKind> | null = null;
  if (existsSync(file)) {
    try {
      const parsed = CacheFile.parse(JSON.parse(readFileSync(file, 'utf8')));
      if (parsed.version === version) flags = parsed.flags;
    } catch {
      flags = null; // torn or hand-edited: read the help again
    }
  }
  if (!flags) {
    const help = runHelp(exe, env);
    flags = parseServeHelp(help);
    // A help text this parser does not understand must not pass as "vLLM accepts nothing".
    if (!('max-model-len' in flags) || !('port' in flags)) {
      throw new VllmHelpError(
        `could not find --max-model-len and --port in \`${exe} serve --help=all\` (vLLM ${version}): the help format is not one evalgraph knows; report it with the output attached`,
      );
    }
    mkdirSync(join(workspaceRoot, '.evalgraph', 'vllm-flags'), { recursive: true });
    writeFileAtomic(file, JSON.stringify({ schema: 1, version, source: 'vllm serve --help=all', executable: exe, created: new Date().toISOString(), flags }, null, 1) + '\n');
  }
  const set: VllmFlagSet = { flags, source: 'installed', version, label: `vLLM ${version} (its \`vllm serve --help=all\`, cached in ${shown})` };
  memo.set(file, set);
  return set;
}
