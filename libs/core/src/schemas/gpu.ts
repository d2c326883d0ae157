import { z } from 'zod';
import { checkSchedulerFields, SchedulerFields } from './scheduler';
import { GpuTrainingDefaults } from './train';

/** configs/gpus/<profile>.yaml: the GPU a pipeline runs on. */
export const GpuProfile = z
  .object({
    $schema: z.string().optional(),
    description: z.string().optional(),
    name: z.string().describe('marketing name, e.g. "NVIDIA H100 80GB HBM3"'),
    memory_gib: z.number().positive().max(4096).describe('memory of one GPU in GiB'),
    count: z.number().int().min(1).max(64).default(1),
    compute_capability: z.string().regex(/^\d+\.\d+$/),
    fp8: z.boolean().default(false).describe('hardware FP8 support (Hopper and newer)'),
    memory_bandwidth_gbs: z.number().positive().optional(),
    ...SchedulerFields,
    training: GpuTrainingDefaults.optional().describe('defaults of LoRA runs on this GPU (configs/train); a run may override each'),
  })
  .strict()
  .superRefine(checkSchedulerFields);
export type GpuProfile = z.infer<typeof GpuProfile>;
