/**
 * The Slurm job's batch script and sbatch arguments, without Slurm: the script is run by bash directly with the
 * stand-in vLLM, so its port choice, endpoint file, SIGTERM handling and heartbeat watch are tested on any machine.
 */
import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, SlurmSettings } from '@evalgraph/core';
import { jobScript, jobTiming, selfCancelBoundS, shellQuote } from '../src/slurm/slurm-job-script';
import { gpusPerServer, sbatchArgs } from '../src/slurm/slurm-server';
import { startHeartbeat } from '../src/slurm/heartbeat';
import { groupMembers, pidAlive, sleep } from '../src/proc';
import { qwen3Model, readJsonLines, spec, STANDIN, tempRoot } from './helpers';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

/** Runs the job script of a stand-in server under bash, as slurmstepd would (its output into the server log). */
function runJob(staleAfterS: number, standinEnv: Record<string, string> = {}) {
  const { root, cleanup } = tempRoot('evalgraph-slurm-job-');
  const endpointFile = join(root, 'endpoint.json');
  const heartbeatFile = join(root, 'heartbeat');
  const events = join(root, 'events.jsonl');
  const logFile = join(root, 'server.log');
  writeFileSync(heartbeatFile, '');
  const script = jobScript({
    key: 'vllm|m|balanced',
    executable: STANDIN,
    args: ['serve', 'org/m', '--host', '127.0.0.1', '--port', '0', '--served-model-name', "it's-m"],
    env: { STANDIN_EVENT_LOG: events, STANDIN_LOAD_DELAY_MS: '50', ...standinEnv },
    endpointFile,
    heartbeatFile,
    logFile,
    probeHost: '127.0.0.1',
    ...jobTiming(staleAfterS, 1000),
  });
  const file = join(root, 'job.sh');
  writeFileSync(file, script, { mode: 0o755 });
  const out = openSync(logFile, 'a');
  const child = spawn('bash', [file], { stdio: ['ignore', out, out], env: { ...process.env, SLURM_JOB_ID: '42', CUDA_VISIBLE_DEVICES: '1' } });
  closeSync(out);
  const exit = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  cleanups.push(() => {
    child.kill('SIGKILL');
    cleanup();
  });
  const serverPids = () => readJsonLines<{ event: string; pid: number }>(events).filter((e) => e.event === 'start').map((e) => e.pid);
  return { root, child, exit, endpointFile, heartbeatFile, serverPids, output: () => readFileSync(logFile, 'utf8') };
}

async function until(what: () => boolean, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!what() && Date.now() < end) await sleep(50);
}

describe('the Slurm job script', () => {
  it('publishes host:port and GPUs, serves the same command line on its own port, and stops the server group on SIGTERM (scancel)', async () => {
    const job = runJob(60);
    await until(() => existsSync(job.endpointFile), 15_000);
    const ep = JSON.parse(readFileSync(job.endpointFile, 'utf8')) as { host: string; port: number; gpus: string };
    expect(ep.port).toBeGreaterThanOrEqual(20000);
    expect(ep.gpus).toBe('1');
    let health = 0;
    for (let i = 0; i < 100 && health !== 200; i++) {
      health = await fetch(`http://127.0.0.1:${ep.port}/health`).then((r) => r.status, () => 0);
      if (health !== 200) await sleep(100);
    }
    expect(health).toBe(200);
    const models = await (await fetch(`http://127.0.0.1:${ep.port}/v1/models`)).text();
    expect(models).toContain(`"it's-m"`);
    const [pid] = job.serverPids();
    job.child.kill('SIGTERM');
    expect(await job.exit).toBe(143);
    // The whole group: the stand-in's EngineCore child too.
    expect(groupMembers(pid)).toEqual([]);
    expect(job.output()).toContain('# evalgraph job 42: cancelled; stopping the server');
  });

  it('stops the server and ends when the client stops refreshing the heartbeat, within the bound', async () => {
    const job = runJob(2);
    // The client is alive for a while: it refreshes the heartbeat, as SlurmServer does, several times per limit.
    const beat = () => {
      const now = new Date();
      utimesSync(job.heartbeatFile, now, now);
    };
    const beating = setInterval(beat, 300);
    cleanups.push(() => clearInterval(beating));
    await until(() => job.serverPids().length > 0, 20_000);
    const [pid] = job.serverPids();
    await sleep(2500);
    expect(pidAlive(pid)).toBe(true);
    clearInterval(beating);
    beat();
    const lastBeat = Date.now();
    expect(await job.exit).toBe(0);
    expect(Date.now() - lastBeat).toBeLessThanOrEqual(selfCancelBoundS(jobTiming(2, 1000)) * 1000);
    expect(groupMembers(pid)).toEqual([]);
    expect(job.output()).toMatch(/heartbeat is \d+ s old \(limit 2 s\): the client is gone/);
  });

  it('starts again on a new port when another program took the chosen one before the server bound it', async () => {
    const { root: markerDir, cleanup } = tempRoot('evalgraph-slurm-port-');
    cleanups.push(cleanup);
    const job = runJob(60, { STANDIN_PORT_TAKEN: '1', STANDIN_PORT_TAKEN_MARKER: join(markerDir, 'taken-once') });
    await until(() => existsSync(job.endpointFile), 20_000);
    const ep = JSON.parse(readFileSync(job.endpointFile, 'utf8')) as { port: number };
    expect(job.output()).toMatch(/port \d+ was taken before the server bound it; trying another/);
    expect(job.serverPids()).toHaveLength(2);
    expect((await fetch(`http://127.0.0.1:${ep.port}/health`)).status).toBe(200);
    job.child.kill('SIGTERM');
    expect(await job.exit).toBe(143);
  });

  it('quotes every word for bash and refuses a command line without --port', () => {
    expect(shellQuote('--max-model-len')).toBe('--max-model-len');
    expect(shellQuote("it's $HOME")).toBe(`'it'\\''s $HOME'`);
    const base = { key: 'k', executable: '/x/vllm', env: {}, endpointFile: '/e', heartbeatFile: '/h', logFile: '/l', probeHost: '127.0.0.1', ...jobTiming(120, 30_000) };
    expect(jobScript({ ...base, args: ['serve', 'm', '--port', '0'] })).toContain(`setsid /x/vllm serve m --port "$PORT" &`);
    expect(() => jobScript({ ...base, args: ['serve', 'm'] })).toThrow(/no --port/);
    expect(jobTiming(120, 30_000)).toEqual({ staleAfterS: 120, checkEveryS: 10, graceS: 30 });
  });
});

describe('the heartbeat keeper', () => {
  it('refreshes the file from its own process until stopped', async () => {
    const { root, cleanup } = tempRoot('evalgraph-heartbeat-');
    cleanups.push(cleanup);
    const file = join(root, 'heartbeat');
    writeFileSync(file, '');
    const old = new Date(Date.now() - 60_000);
    utimesSync(file, old, old);
    const hb = startHeartbeat(file, 100);
    cleanups.push(() => hb.stop());
    await until(() => statSync(file).mtimeMs > Date.now() - 5000, 10_000);
    expect(statSync(file).mtimeMs).toBeGreaterThan(Date.now() - 5000);
    expect(pidAlive(hb.pid)).toBe(true);
    hb.stop();
    await until(() => !pidAlive(hb.pid), 5000);
    expect(pidAlive(hb.pid)).toBe(false);
  });
});

describe('sbatch arguments', () => {
  it('carry gres, partition, account, time limit and the extra options; GPUs default to the tensor-parallel size', () => {
    const { root, cleanup } = tempRoot();
    cleanups.push(cleanup);
    const settings = SlurmSettings.parse({ partition: 'gpu', account: 'lab', time_limit: '02:00:00', sbatch_options: ['--qos=high'] });
    const s = spec(root, 'qwen3-8b', { model: qwen3Model({ vllm_args: { tensor_parallel_size: 2 } }), slurm: settings });
    expect(gpusPerServer(s, settings)).toBe(2);
    const args = sbatchArgs(s, settings, 2);
    expect(args).toEqual(expect.arrayContaining(['--gres=gpu:2', '--partition=gpu', '--account=lab', '--time=02:00:00', '--qos=high', `--output=${s.logFile}`]));
    expect(args.indexOf('--qos=high')).toBe(args.length - 1);
    expect(() => gpusPerServer(s, { ...settings, gpus_per_server: 1 })).toThrow(ConfigError);
    expect(() => gpusPerServer(s, { ...settings, gpus_per_server: 1 })).toThrow(/slurm\.gpus_per_server[\s\S]*tensor_parallel_size 2/);
  });
});
