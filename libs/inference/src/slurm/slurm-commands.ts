import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { MissingDependencyError, UserFacingError } from '@evalgraph/core';
import { findExecutable } from '../proc';

/** The state folder of the local one-node Slurm that `evalgraph slurm up` runs for a workspace. */
export function localSlurmDir(workspaceRoot: string): string {
  return join(workspaceRoot, '.evalgraph', 'slurm');
}

/**
 * The environment Slurm's commands run with: SLURM_CONF as the user set it, else the workspace's local cluster
 * (after `evalgraph slurm up`), else Slurm's own default (/etc/slurm/slurm.conf or DNS).
 */
export function slurmEnv(workspaceRoot: string, env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  if (env.SLURM_CONF) return env;
  const local = join(localSlurmDir(workspaceRoot), 'slurm.conf');
  return existsSync(local) ? { ...env, SLURM_CONF: local } : env;
}

/** A Slurm command that failed: its name, arguments and what it printed. */
export class SlurmCommandError extends UserFacingError {
  constructor(
    readonly command: string,
    readonly stderr: string,
    readonly code: number | null,
  ) {
    super(`${command} failed (exit ${code ?? 'signal'}): ${stderr.trim().split('\n').slice(-3).join(' / ') || 'no output'}`);
    this.name = 'SlurmCommandError';
  }
}

/** Runs one Slurm client command; resolves with stdout, rejects with SlurmCommandError. */
export function slurmCommand(cmd: string, args: string[], env: NodeJS.ProcessEnv, timeoutMs = 30_000): Promise<string> {
  if (!findExecutable(cmd, env.PATH ?? '')) {
    return Promise.reject(
      new MissingDependencyError(
        `${cmd} is not on PATH, and a pipeline or GPU profile says scheduler: slurm`,
        'run evalgraph on a machine with the Slurm client commands (a login node), or for a local test cluster: npm run setup -- --tests && npx evalgraph slurm up',
      ),
    );
  }
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { env, timeout: timeoutMs, encoding: 'utf8' }, (err, stdout, stderr) => {
      if (err) reject(new SlurmCommandError(`${cmd} ${args.join(' ')}`, `${stderr}${err.killed ? ' (timed out)' : ''}`, typeof err.code === 'number' ? err.code : null));
      else resolve(stdout);
    });
  });
}

/** A job as squeue shows it; null once Slurm has forgotten it. */
export interface JobStatus {
  state: string;
  reason: string;
  node: string;
}

/** States in which a job still holds (or waits for) its resources. */
export const LIVE_STATES = new Set(['PENDING', 'CONFIGURING', 'RUNNING', 'COMPLETING', 'SUSPENDED', 'REQUEUED', 'RESIZING', 'SIGNALING', 'STAGE_OUT', 'STOPPED']);

/** The job's state, reason and node (squeue --states=all), or null when Slurm no longer knows the job. */
export async function jobStatus(jobId: string, env: NodeJS.ProcessEnv): Promise<JobStatus | null> {
  let out: string;
  try {
    out = await slurmCommand('squeue', ['-h', '--states=all', '-j', jobId, '-o', '%T|%r|%N'], env);
  } catch (e) {
    if (e instanceof SlurmCommandError && /Invalid job id/i.test(e.stderr)) return null;
    throw e;
  }
  const line = out.split('\n').find((l) => l.trim());
  if (!line) return null;
  const [state = '', reason = '', node = ''] = line.trim().split('|');
  return { state, reason, node };
}

/** sbatch --parsable: the job id ("123" or "123;cluster" → "123"). */
export async function submitJob(args: string[], env: NodeJS.ProcessEnv): Promise<string> {
  const out = (await slurmCommand('sbatch', ['--parsable', ...args], env)).trim();
  const id = out.split(';')[0];
  if (!/^\d+(_\d+)?$/.test(id)) throw new SlurmCommandError(`sbatch ${args.join(' ')}`, `unexpected output "${out}" (expected a job id)`, 0);
  return id;
}

/** scancel, optionally with a signal (KILL); a job Slurm already forgot is not an error. */
export async function cancelJob(jobId: string, env: NodeJS.ProcessEnv, signal?: 'KILL'): Promise<void> {
  try {
    await slurmCommand('scancel', [...(signal ? ['--signal', signal, '--full'] : []), jobId], env);
  } catch (e) {
    if (e instanceof SlurmCommandError && /Invalid job id|already completing or completed/i.test(e.stderr)) return;
    throw e;
  }
}
