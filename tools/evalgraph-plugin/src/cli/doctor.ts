import { runDoctor } from '@evalgraph/inference';

const MARK = { ok: 'ok     ', warning: 'warning', error: 'error  ' } as const;

/** Prints the environment checks; exit code 1 when any is an error. */
export async function doctor(_root: string): Promise<number> {
  const checks = await runDoctor();
  for (const c of checks) {
    console.log(`${MARK[c.status]}  ${c.name.padEnd(14)} ${c.detail}`);
    if (c.status !== 'ok' && c.fix) console.log(`${' '.repeat(24)}fix: ${c.fix}`);
  }
  return checks.some((c) => c.status === 'error') ? 1 : 0;
}
