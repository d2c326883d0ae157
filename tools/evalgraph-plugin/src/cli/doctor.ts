import { runDoctor, type DoctorCheck } from '@evalgraph/inference';
import type { AvailabilityOptions } from '@evalgraph/sandbox';
import { checkChromium, checkSandbox } from './system-checks';

const MARK = { ok: 'ok     ', warning: 'warning', error: 'error  ' } as const;

/** Every external tool evalgraph uses: the inference checks plus the code sandbox and the tests' Chromium. */
export async function allChecks(env: NodeJS.ProcessEnv = process.env, sandbox: AvailabilityOptions = {}): Promise<DoctorCheck[]> {
  const [inference, sb] = await Promise.all([runDoctor(env), checkSandbox(sandbox)]);
  return [...inference, sb, checkChromium(env)];
}

/** Prints the environment checks; exit code 1 when any is an error. */
export async function doctor(_root: string): Promise<number> {
  const checks = await allChecks();
  for (const c of checks) {
    console.log(`${MARK[c.status]}  ${c.name.padEnd(14)} ${c.detail}`);
    if (c.status !== 'ok' && c.fix) console.log(`${' '.repeat(24)}fix: ${c.fix}`);
  }
  return checks.some((c) => c.status === 'error') ? 1 : 0;
}
