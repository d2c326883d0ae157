import { ConfigError, type ConfigProblem } from '@evalgraph/core';
import type { z } from 'zod';
import type { ScoringContext } from '../types';

/** Parses `scorer_options` of the dataset config with a scorer's schema; a ConfigError names the bad field. */
export function parseScorerOptions<T extends z.ZodType>(schema: T, ctx: ScoringContext): z.infer<T> {
  const parsed = schema.safeParse(ctx.datasetConfig.scorer_options ?? {});
  if (parsed.success) return parsed.data;
  const file = `configs/datasets/${ctx.dataset}/dataset.yaml`;
  const problems: ConfigProblem[] = parsed.error.issues.map((issue) => ({
    file,
    field: ['scorer_options', ...issue.path.map(String)].join('.'),
    expected: issue.message,
    found: JSON.stringify(issue.path.reduce<unknown>((o, k) => (o && typeof o === 'object' ? (o as Record<PropertyKey, unknown>)[k as PropertyKey] : undefined), ctx.datasetConfig.scorer_options)) ?? 'nothing',
  }));
  throw new ConfigError(problems);
}
