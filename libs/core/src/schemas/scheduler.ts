import { z } from 'zod';

/** Who places a model's vLLM server: this machine's GPU lease (`local`) or a Slurm cluster (`slurm`). */
export const SchedulerKind = z.enum(['local', 'slurm']);
export type SchedulerKind = z.infer<typeof SchedulerKind>;

/** Slurm's time format: minutes, MM:SS, HH:MM:SS, D-HH, D-HH:MM or D-HH:MM:SS (sbatch --time). */
const SLURM_TIME = /^(\d+-\d{1,2}(:\d{1,2}(:\d{1,2})?)?|\d+(:\d{1,2}(:\d{1,2})?)?)$/;

/** How each model's vLLM server is submitted when the scheduler is Slurm (one job per server). */
export const SlurmSettings = z
  .object({
    partition: z.string().min(1).optional().describe('sbatch --partition (default: the cluster\'s default partition)'),
    account: z.string().min(1).optional().describe('sbatch --account'),
    time_limit: z.string().regex(SLURM_TIME, 'a Slurm time such as "90", "02:00:00" or "1-00:00:00"').optional().describe('sbatch --time: the longest one server may live'),
    gpus_per_server: z.number().int().min(1).max(64).optional().describe('sbatch --gres=gpu:N (default: the model\'s tensor_parallel_size, else 1)'),
    sbatch_options: z
      .array(z.string().regex(/^--?[A-Za-z]/, 'an sbatch option such as "--qos=high" or "--constraint=h100"'))
      .default([])
      .describe('extra sbatch options, one per item, passed as they are'),
    heartbeat_timeout_s: z.number().int().min(2).max(3600).default(120).describe('a job whose client has not refreshed its heartbeat file for this long stops itself (the client is gone)'),
    bind_host: z.string().min(1).default('0.0.0.0').describe('address the server binds on the node; the client connects from the submitting machine'),
  })
  .strict();
export type SlurmSettings = z.infer<typeof SlurmSettings>;

/** The scheduler fields a pipeline or a GPU profile may carry. */
export const SchedulerFields = {
  scheduler: SchedulerKind.optional().describe('local (default): this machine\'s GPUs; slurm: every model server is a Slurm job'),
  slurm: SlurmSettings.optional().describe('Slurm settings, used when scheduler is slurm'),
};

/** A `slurm:` block without `scheduler: slurm` is a mistake, not a silent no-op. */
export function checkSchedulerFields(v: { scheduler?: SchedulerKind; slurm?: SlurmSettings }, ctx: z.RefinementCtx): void {
  if (v.slurm && v.scheduler !== 'slurm') {
    ctx.addIssue({
      code: 'custom',
      path: ['slurm'],
      message: `a slurm block is only used with scheduler: slurm (found scheduler: ${v.scheduler ?? 'unset, meaning local'}) — add "scheduler: slurm" or remove the slurm block`,
    });
  }
}

/**
 * The Slurm settings a pipeline's servers run under, or null for the local GPU lease: the pipeline's `scheduler`
 * wins over the GPU profile's, and its `slurm` fields over the profile's.
 */
export function resolveSlurm(
  pipeline: { scheduler?: SchedulerKind; slurm?: SlurmSettings },
  gpu: { scheduler?: SchedulerKind; slurm?: SlurmSettings },
): SlurmSettings | null {
  const kind = pipeline.scheduler ?? gpu.scheduler ?? 'local';
  if (kind !== 'slurm') return null;
  return SlurmSettings.parse({ ...gpu.slurm, ...pipeline.slurm });
}
