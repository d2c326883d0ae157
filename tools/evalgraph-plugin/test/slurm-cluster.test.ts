import { afterEach, describe, expect, it, vi } from 'vitest';
import { clusterPaths, gresConf, slurmConf } from '../src/cli/slurm-config';
import { slurm, slurmUp } from '../src/cli/slurm-cluster';

afterEach(() => vi.restoreAllMocks());

describe('evalgraph slurm up / down', () => {
  const p = clusterPaths('/ws/.evalgraph/slurm');
  const spec = { host: 'node1', gpus: 3, ctldPort: 7001, slurmdPort: 7002 };

  it('writes a one-node cluster with N GPUs, every path inside the project-owned state folder', () => {
    const conf = slurmConf(p, spec);
    expect(conf).toMatch(/^SlurmctldHost=node1\(127\.0\.0\.1\)$/m);
    expect(conf).toMatch(/^NodeName=node1 NodeAddr=127\.0\.0\.1 CPUs=12 .*Gres=gpu:3 /m);
    expect(conf).toMatch(/^GresTypes=gpu$/m);
    expect(conf).toMatch(/^AuthInfo=socket=\/ws\/\.evalgraph\/slurm\/munge\/munge\.socket$/m);
    expect(conf).toMatch(/^JobCompType=jobcomp\/filetxt$/m);
    for (const line of conf.split('\n').filter((l) => /(Location|Dir|File|Loc)=/.test(l))) expect(line, line).toContain('/ws/.evalgraph/slurm/');
    const gres = gresConf(p, spec).split('\n').filter((l) => l.startsWith('NodeName='));
    expect(gres).toEqual([0, 1, 2].map((i) => `NodeName=node1 Name=gpu File=/ws/.evalgraph/slurm/gpus/gpu${i}`));
  });

  it('says what it needs when not root, and rejects a bad --gpus', async () => {
    vi.spyOn(process, 'getuid').mockReturnValue(1000);
    const lines: string[] = [];
    expect(await slurmUp('/nonexistent', { gpus: 2, log: (l) => lines.push(l) })).toBe(1);
    expect(lines.join('\n')).toMatch(/needs root[\s\S]*sudo npx evalgraph slurm up[\s\S]*SLURM_CONF/);
    vi.spyOn(console, 'error').mockImplementation(() => undefined);
    expect(await slurm('/nonexistent', 'up', ['--gpus', 'two'])).toBe(2);
    expect(await slurm('/nonexistent', 'up', ['--gpus=0'])).toBe(2);
    expect(await slurm('/nonexistent', 'sideways', [])).toBe(2);
  });
});
