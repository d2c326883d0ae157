import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, GpuProfile, loadConfig, PipelineConfig, resolveSlurm } from '../src';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function load(yaml: string, schema: typeof PipelineConfig | typeof GpuProfile = PipelineConfig) {
  const dir = mkdtempSync(join(tmpdir(), 'evalgraph-sched-'));
  dirs.push(dir);
  const file = join(dir, 'pipeline.yaml');
  writeFileSync(file, yaml);
  return loadConfig(file, schema, dir);
}
const PIPE = 'models: [{ model: qwen3-8b }]\ndatasets: [gsm8k]\n';
const GPU = 'name: H100\nmemory_gib: 79.6\ncompute_capability: "9.0"\n';

describe('scheduler: slurm in a pipeline or GPU profile', () => {
  it('parses the Slurm settings with their defaults', () => {
    const p = load(`${PIPE}scheduler: slurm\nslurm:\n  partition: gpu\n  time_limit: "1-00:00:00"\n  sbatch_options: ["--qos=high"]\n`);
    expect(p.scheduler).toBe('slurm');
    expect(p.slurm).toEqual({ partition: 'gpu', time_limit: '1-00:00:00', sbatch_options: ['--qos=high'], heartbeat_timeout_s: 120, bind_host: '0.0.0.0' });
  });

  it('names the file, the field and the fix for bad Slurm settings', () => {
    const bad = (yaml: string) => {
      try {
        load(yaml);
      } catch (e) {
        expect(e).toBeInstanceOf(ConfigError);
        return (e as Error).message;
      }
      throw new Error('no error');
    };
    expect(bad(`${PIPE}slurm: { partition: gpu }\n`)).toMatch(/pipeline\.yaml[\s\S]*slurm[\s\S]*add "scheduler: slurm" or remove the slurm block/);
    expect(bad(`${PIPE}scheduler: slurm\nslurm: { time_limit: "two hours" }\n`)).toMatch(/slurm\.time_limit[\s\S]*"02:00:00"/);
    expect(bad(`${PIPE}scheduler: slurm\nslurm: { gpu_per_server: 2 }\n`)).toMatch(/slurm\.gpu_per_server[\s\S]*did you mean "gpus_per_server"/);
    expect(bad(`${PIPE}scheduler: slurn\n`)).toMatch(/scheduler[\s\S]*did you mean "slurm"/);
    expect(bad(`${PIPE}scheduler: slurm\nslurm: { sbatch_options: ["qos=high"] }\n`)).toMatch(/sbatch_options\.0/);
  });

  it('the pipeline wins over the GPU profile, field by field; local when neither says slurm', () => {
    const gpu = load(`${GPU}scheduler: slurm\nslurm: { partition: h100, account: lab }\n`, GpuProfile);
    expect(resolveSlurm(load(PIPE), gpu)).toMatchObject({ partition: 'h100', account: 'lab' });
    expect(resolveSlurm(load(`${PIPE}slurm: { partition: debug }\nscheduler: slurm\n`), gpu)).toMatchObject({ partition: 'debug', account: 'lab' });
    expect(resolveSlurm(load(`${PIPE}scheduler: local\n`), gpu)).toBeNull();
    expect(resolveSlurm(load(PIPE), load(GPU, GpuProfile))).toBeNull();
  });
});
