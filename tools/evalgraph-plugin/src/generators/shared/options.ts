import { z } from 'zod';
import { GeneratorError } from './generator-error';

/** Parses generator options with their zod schema (Nx checks schema.json first; this also guards programmatic calls). */
export function parseOptions<S extends z.ZodType>(schema: S, raw: unknown): z.output<S> {
  const parsed = schema.safeParse(raw);
  if (parsed.success) return parsed.data;
  throw new GeneratorError(parsed.error.issues.map((i) => `${i.path.length ? `--${i.path.join('.')}` : 'options'}: ${i.message}`).join('\n'));
}
