import { execFileSync } from 'node:child_process';
import { closeSync, openSync, readSync } from 'node:fs';
import { resolveVllmExecutable } from './proc';

const memo = new Map<string, string | null>();

/**
 * The Python an executable's shebang runs (`#!/venv/bin/python3`, `#!/usr/bin/env python3`), or null for any
 * other launcher (a shell wrapper, a Node script such as the test stand-in).
 */
export function shebangPython(executable: string): string[] | null {
  let head = '';
  try {
    const fd = openSync(executable, 'r');
    try {
      const buf = Buffer.alloc(256);
      head = buf.subarray(0, readSync(fd, buf, 0, buf.length, 0)).toString('utf8');
    } finally {
      closeSync(fd);
    }
  } catch {
    return null;
  }
  const line = head.split('\n')[0];
  if (!line.startsWith('#!') || !/python[0-9.]*(\s|$)/.test(line)) return null;
  const words = line.slice(2).trim().split(/\s+/);
  if (!words[0].endsWith('/env')) return words;
  const rest = words.slice(1);
  while (rest[0]?.startsWith('-')) rest.shift(); // env's own options (-S)
  return rest.length ? rest : null;
}

/** Prints the installed vllm package's version from its metadata, without importing vllm (which imports torch). */
export const VLLM_METADATA_SCRIPT = "from importlib.metadata import version; print(version('vllm'))";

/** The installed vllm package's version from its metadata, read by the executable's own Python; null when not there. */
function metadataVersion(python: string[]): string | null {
  try {
    const out = execFileSync(python[0], [...python.slice(1), '-c', VLLM_METADATA_SCRIPT], { encoding: 'utf8', timeout: 30_000, stdio: ['ignore', 'pipe', 'ignore'] });
    return out.trim() || null;
  } catch {
    return null;
  }
}

/**
 * The version of the vLLM evalgraph would start, memoized per executable; null when vLLM is absent or does not
 * answer. For a Python entry point it is the vllm package's metadata version, read by that Python without
 * importing vllm: `vllm --version` imports torch first (about 19 s in vllm-project/vllm#25620), and every evaluate
 * batch needs the version before its first request-cache lookup. Otherwise (a wrapper, the stand-ins) it is
 * `vllm --version`'s last output line, a trailing "(...)" note dropped, so the stand-in's "standin-vllm 1.0.0"
 * matches what its /version says. It is part of every vLLM request-cache key: a vLLM upgrade makes Nx re-run the
 * cells (runtime input), and the re-run must not get the old version's answers.
 */
export function vllmRuntimeVersion(executable?: string): string | null {
  let exe: string;
  try {
    exe = executable ?? resolveVllmExecutable();
  } catch {
    return null;
  }
  if (!memo.has(exe)) {
    const python = shebangPython(exe);
    let version = python ? metadataVersion(python) : null;
    if (version === null) {
      try {
        const out = execFileSync(exe, ['--version'], { encoding: 'utf8', timeout: 120_000, stdio: ['ignore', 'pipe', 'ignore'] });
        const last = out.trim().split('\n').pop()?.trim() ?? '';
        version = last.replace(/\s*\([^)]*\)\s*$/, '') || null;
      } catch {
        version = null;
      }
    }
    memo.set(exe, version);
  }
  return memo.get(exe) ?? null;
}

/** The label results carry for GPU stand-in runs (tools/gpu-standin): a transformers model, not vLLM. */
export const GPU_STANDIN_KIND = 'gpu-standin (transformers, random weights; not vLLM)';
/** The label results carry for the CPU test stand-in (libs/inference/test/fixtures/standin-vllm). */
export const CPU_STANDIN_KIND = 'standin-vllm (test stand-in, not vLLM)';

/** What run.json and coverage record as `server.kind` for a runtime version: never "vllm" for a stand-in. */
export function serverKind(version: string | null | undefined): string {
  if (version?.startsWith('gpu-standin')) return GPU_STANDIN_KIND;
  if (version?.includes('standin')) return CPU_STANDIN_KIND;
  return 'vllm';
}
