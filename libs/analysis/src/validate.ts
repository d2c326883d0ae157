import Ajv2020, { type ErrorObject, type ValidateFunction } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { z } from 'zod';
import { CellError } from '@evalgraph/core';

/** A result file that is missing, unreadable or does not match its schema. */
export class ResultFileError extends CellError {
  constructor(readonly file: string, readonly problems: string[], cell: string) {
    super(`${file}: ${problems.slice(0, 5).join('; ')}${problems.length > 5 ? `; … ${problems.length - 5} more` : ''} — re-run the cell to rewrite it`, cell);
    this.name = 'ResultFileError';
  }
}

/** JSON Schema (draft 2020-12) of a zod schema as files may be written: defaulted fields are optional. */
export function jsonSchemaOf(schema: z.ZodType): Record<string, unknown> {
  return z.toJSONSchema(schema, { io: 'input', target: 'draft-2020-12' }) as Record<string, unknown>;
}

const ajv = new Ajv2020({ allErrors: true, strict: false });
addFormats(ajv);
const compiled = new WeakMap<z.ZodType, ValidateFunction>();

function formatAjvError(e: ErrorObject): string {
  const where = e.instancePath || '(root)';
  if (e.keyword === 'additionalProperties') return `${where}: unknown key "${(e.params as { additionalProperty: string }).additionalProperty}"`;
  if (e.keyword === 'enum') return `${where}: ${e.message} (${(e.params as { allowedValues: unknown[] }).allowedValues.join(', ')})`;
  return `${where}: ${e.message}`;
}

/** Problems (one line each) found by ajv when checking data against the JSON Schema of a zod schema; empty when valid. */
export function schemaProblems(schema: z.ZodType, data: unknown): string[] {
  let validate = compiled.get(schema);
  if (!validate) {
    validate = ajv.compile(jsonSchemaOf(schema));
    compiled.set(schema, validate);
  }
  if (validate(data)) return [];
  return (validate.errors ?? []).map(formatAjvError);
}

/**
 * Validates data with ajv against the schema's generated JSON Schema, then parses it with zod to fill
 * defaults; throws ResultFileError naming the file and every problem.
 */
export function validateWith<S extends z.ZodType>(schema: S, data: unknown, file: string, cell = file): z.output<S> {
  const problems = schemaProblems(schema, data);
  if (problems.length) throw new ResultFileError(file, problems, cell);
  const parsed = schema.safeParse(data);
  if (!parsed.success) throw new ResultFileError(file, parsed.error.issues.map((i) => `/${i.path.join('/')}: ${i.message}`), cell);
  return parsed.data;
}
