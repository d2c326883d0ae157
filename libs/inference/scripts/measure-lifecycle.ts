// Measures the server lifecycle mechanisms against the stand-in vLLM (README "Lifecycle").
// Run: PATH=libs/inference/test/fixtures/standin-vllm:$PATH node -r @swc-node/register libs/inference/scripts/measure-lifecycle.ts
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GpuLeaseManager, groupMembers, sleep, startVllmServer } from '../src';
import { spec } from '../test/helpers';

async function main(): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), 'evalgraph-measure-'));
  const out: Record<string, number> = {};
  // 1. start to ready, and a graceful stop (SIGTERM to the group)
  let t = performance.now();
  const s1 = await startVllmServer(spec(root, 'measure-a'), { pollIntervalMs: 50, graceMs: 30_000 });
  out.startToReadyMs = Math.round(performance.now() - t);
  const stop1 = await s1.stop();
  out.gracefulStopMs = stop1.stopMs;
  // 2. a server ignoring SIGTERM: stop = grace + SIGKILL
  const s2 = await startVllmServer(spec(root, 'measure-b'), { pollIntervalMs: 50, graceMs: 1000, env: { STANDIN_IGNORE_SIGTERM: '1' } });
  out.ignoreSigtermStopMs_grace1000 = (await s2.stop()).stopMs;
  // 3. SIGKILL of the owning process: time until the watchdog has removed the server group
  const child = spawn(process.execPath, ['-r', '@swc-node/register', '-e', `
    const { startVllmServer } = require('${join(__dirname, '../src')}');
    const { spec } = require('${join(__dirname, '../test/helpers')}');
    startVllmServer(spec('${root}', 'measure-c'), { pollIntervalMs: 50, graceMs: 30000 }).then((s) => { console.log('pgid ' + s.pgid); setInterval(() => {}, 1e9); });
  `], { stdio: ['ignore', 'pipe', 'inherit'] });
  const pgid = await new Promise<number>((resolve) => child.stdout!.on('data', (d: Buffer) => { const m = /pgid (\d+)/.exec(String(d)); if (m) resolve(Number(m[1])); }));
  t = performance.now();
  child.kill('SIGKILL');
  while (groupMembers(pgid).length) await sleep(5);
  out.ownerSigkillToGroupGoneMs = Math.round(performance.now() - t);
  // 4. lease acquire/release round trip (uncontended)
  const leases = new GpuLeaseManager(join(root, 'leases.sqlite'));
  t = performance.now();
  for (let i = 0; i < 100; i++) leases.tryAcquire({ key: 'k', gib: 10, deviceMemoryGiB: 80, deviceCount: 1 })!.release();
  out.leaseAcquireReleaseMs = +((performance.now() - t) / 100).toFixed(2);
  leases.close();
  console.log(JSON.stringify(out, null, 2));
  rmSync(root, { recursive: true, force: true });
}
main().catch((e) => { console.error(e); process.exit(1); });
