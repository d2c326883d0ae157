/** doctor's sandbox and Chromium checks, against fake tools. */
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkChromium, checkSandbox } from '../src/cli/system-checks';
import { allChecks } from '../src/cli/doctor';

const dir = mkdtempSync(join(tmpdir(), 'evalgraph-doctor-'));
// As root the sandbox starts bwrap as an unprivileged uid (setpriv), which must be able to reach the fakes.
chmodSync(dir, 0o755);
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const fake = (name: string, body: string) => {
  const p = join(dir, name);
  writeFileSync(p, `#!/bin/sh\n${body}\n`);
  chmodSync(p, 0o755);
  return p;
};

describe('doctor: system tools', () => {
  it('reports a missing bubblewrap as an error whose fix is npm run setup', async () => {
    const c = await checkSandbox({ bwrap: join(dir, 'no-such-bwrap') });
    expect(c.status).toBe('error');
    expect(c.detail).toMatch(/bubblewrap \(bwrap\) is not installed/);
    expect(c.fix).toMatch(/^npm run setup installs bubblewrap/);
  });

  it('reports a bubblewrap that cannot create a sandbox here (no user namespaces) with that fix', async () => {
    const bwrap = fake('bwrap-denied', 'echo "bwrap: No permissions to create new namespace, likely because the kernel does not allow non-privileged user namespaces." >&2\nexit 1');
    const c = await checkSandbox({ bwrap });
    expect(c.status).toBe('error');
    expect(c.detail).toMatch(/No permissions to create new namespace/);
    expect(c.fix).toMatch(/user namespaces/);
  });

  it('runs a program in the real sandbox on this machine', async () => {
    const c = await checkSandbox();
    expect(c).toMatchObject({ name: 'sandbox', status: 'ok' });
    expect(c.detail).toMatch(/bubblewrap ran a Python program/);
  });

  it('says Chromium is only needed by the tests', () => {
    const present = checkChromium({ EVALGRAPH_CHROMIUM: fake('chromium', 'exit 0') });
    expect(present.status).toBe('ok');
    expect(present.detail).toMatch(/only needed by npm test/);
    const absent = checkChromium({ EVALGRAPH_CHROMIUM: join(dir, 'none') });
    expect(absent.status).toBe('warning');
    expect(absent.fix).toMatch(/npm run setup -- --tests/);
  });

  it('lists every external tool', async () => {
    const checks = await allChecks({ PATH: '/nonexistent', HOME: dir, EVALGRAPH_CHROMIUM: join(dir, 'none') }, { bwrap: join(dir, 'no-such-bwrap') });
    expect(checks.map((c) => c.name)).toEqual(['node', 'python', 'vllm', 'vllm-version', 'gpu', 'disk', 'hf-token', 'ports', 'sandbox', 'chromium']);
  });
});
