import { findExecutable } from './proc';
import { vllmVersionCheck } from './vllm-versions';

/** The `doctor` line for the installed vLLM's version against the supported range (same shape as DoctorCheck). */
export interface VllmRangeDoctorCheck {
  name: 'vllm-version';
  status: 'ok' | 'warning';
  detail: string;
  fix: string;
}

/**
 * `doctor`'s supported-range line. `versionOf` is doctor's fast version lookup (importlib.metadata for a
 * Python `vllm` script), passed in so this module does not depend on doctor.ts.
 */
export async function checkVllmVersionRange(
  env: NodeJS.ProcessEnv,
  versionOf: (exe: string, env: NodeJS.ProcessEnv) => Promise<string | null>,
): Promise<VllmRangeDoctorCheck> {
  const exe = findExecutable(env.EVALGRAPH_VLLM || 'vllm', env.PATH ?? '');
  const c = vllmVersionCheck(exe ? await versionOf(exe, env) : null);
  return { name: 'vllm-version', status: c.status === 'in-range' ? 'ok' : 'warning', detail: c.detail, fix: c.fix };
}
