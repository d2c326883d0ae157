import { existsSync } from 'node:fs';
import { MissingDependencyError } from '@evalgraph/core';
import type { DoctorCheck } from '@evalgraph/inference';
import { checkSandboxAvailable, type AvailabilityOptions } from '@evalgraph/sandbox';

/** Whether bubblewrap is installed and can run a program in its sandbox here (the same probe the code scorers use). */
export async function checkSandbox(opts: AvailabilityOptions = {}): Promise<DoctorCheck> {
  try {
    const env = await checkSandboxAvailable(opts);
    return { name: 'sandbox', status: 'ok', detail: `bubblewrap ran a Python program in its sandbox (${env.bwrap}, ${env.mode} mode, ${env.python})`, fix: '' };
  } catch (e) {
    if (!(e instanceof MissingDependencyError)) throw e;
    const [what] = e.message.split(' — fix: ');
    return { name: 'sandbox', status: 'error', detail: `${what}; code datasets (HumanEval, MBPP) cannot be scored`, fix: `npm run setup installs bubblewrap and python3; otherwise ${e.fix}` };
  }
}

/** Chromium for the report's browser test; only `npm test` needs it, so its absence is a warning. */
export function checkChromium(env: NodeJS.ProcessEnv = process.env): DoctorCheck {
  const path = env.EVALGRAPH_CHROMIUM ?? '/usr/bin/chromium';
  return existsSync(path)
    ? { name: 'chromium', status: 'ok', detail: `${path} (only needed by npm test: the report's browser test)`, fix: '' }
    : { name: 'chromium', status: 'warning', detail: `no Chromium at ${path}: only npm test needs it (the report's browser test); evaluations and reports do not`, fix: 'npm run setup -- --tests (apt-get install chromium), or set EVALGRAPH_CHROMIUM=/path/to/chromium' };
}
