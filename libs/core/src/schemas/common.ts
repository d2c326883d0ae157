import { z } from 'zod';

/** Lower-case kebab name used for folders, project names and target names. */
export const Slug = z
  .string()
  .regex(/^[a-z0-9][a-z0-9._-]*$/, 'a lower-case name of letters, digits, ".", "_" and "-"');

/** A pinned revision: a git commit sha (40 hex) — never a moving branch like "main". */
export const PinnedRevision = z
  .string()
  .regex(/^[0-9a-f]{40}$/, 'a 40-hex commit sha (a pinned revision, not a branch)');

export const Sha256 = z.string().regex(/^[0-9a-f]{64}$/, 'a 64-hex sha256');

/** Sampling parameters sent explicitly on every request (vLLM fills omitted ones from generation_config). */
export const Sampling = z
  .object({
    temperature: z.number().min(0).max(2),
    top_p: z.number().gt(0).max(1),
    top_k: z.number().int().min(-1),
    min_p: z.number().min(0).max(1),
    presence_penalty: z.number().min(-2).max(2).default(0),
    repetition_penalty: z.number().gt(0).max(2).default(1),
    seed: z.number().int().min(0).optional(),
  })
  .strict();
export type Sampling = z.infer<typeof Sampling>;
