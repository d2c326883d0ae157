import { execFileSync } from 'node:child_process';
import { resolveVllmExecutable } from './proc';

const memo = new Map<string, string | null>();

/**
 * The version of the vLLM evalgraph would start (`vllm --version`: its last output line, a trailing "(...)"
 * note dropped, so the stand-in's "standin-vllm 1.0.0" matches what its /version says), memoized per
 * executable; null when vLLM is absent or does not answer. It is part of every vLLM request-cache key: a vLLM
 * upgrade makes Nx re-run the cells (runtime input), and the re-run must not get the old version's answers.
 */
export function vllmRuntimeVersion(executable?: string): string | null {
  let exe: string;
  try {
    exe = executable ?? resolveVllmExecutable();
  } catch {
    return null;
  }
  if (!memo.has(exe)) {
    let version: string | null = null;
    try {
      // A real vLLM imports torch here (seconds); once per process and executable.
      const out = execFileSync(exe, ['--version'], { encoding: 'utf8', timeout: 120_000, stdio: ['ignore', 'pipe', 'ignore'] });
      const last = out.trim().split('\n').pop()?.trim() ?? '';
      version = last.replace(/\s*\([^)]*\)\s*$/, '') || null;
    } catch {
      version = null;
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
