import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { jsonSchemas, schemaFileText, writeFileAtomic } from '@evalgraph/core';

export const SCHEMA_DIR = 'configs/schema';

/** Schema files whose text on disk differs from what the zod schemas generate (or that are missing / extra). */
export function staleSchemas(root: string): string[] {
  const want = jsonSchemas();
  const stale = Object.entries(want)
    .filter(([file, schema]) => {
      const p = join(root, SCHEMA_DIR, file);
      return !existsSync(p) || readFileSync(p, 'utf8') !== schemaFileText(schema);
    })
    .map(([file]) => file);
  const dir = join(root, SCHEMA_DIR);
  const extra = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.schema.json') && !(f in want)) : [];
  return [...stale, ...extra];
}

/** Regenerates configs/schema/*.schema.json from the zod schemas. */
export function writeSchemas(root: string): string[] {
  const written: string[] = [];
  for (const [file, schema] of Object.entries(jsonSchemas())) {
    writeFileAtomic(join(root, SCHEMA_DIR, file), schemaFileText(schema));
    written.push(join(SCHEMA_DIR, file));
  }
  return written;
}
