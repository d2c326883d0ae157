import { mkdtempSync, cpSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { staleSchemas, writeSchemas } from '../src/cli/schemas';

const REPO = resolve(__dirname, '../../..');

describe('configs/schema', () => {
  it('is up to date with the zod schemas (run `npx evalgraph schemas` when this fails)', () => {
    expect(staleSchemas(REPO)).toEqual([]);
  });

  it('detects a stale schema and regenerates it', () => {
    const root = mkdtempSync(join(tmpdir(), 'evalgraph-schema-'));
    try {
      cpSync(join(REPO, 'configs/schema'), join(root, 'configs/schema'), { recursive: true });
      const p = join(root, 'configs/schema/model.schema.json');
      writeFileSync(p, readFileSync(p, 'utf8').replace('"hf_id"', '"hf_name"'));
      expect(staleSchemas(root)).toEqual(['model.schema.json']);
      writeSchemas(root);
      expect(staleSchemas(root)).toEqual([]);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('every YAML config points at its schema for editor completion', () => {
    const { execFileSync } = require('node:child_process') as typeof import('node:child_process');
    const files = execFileSync('git', ['ls-files', 'configs/**/*.yaml', 'pipelines/**/*.yaml'], { cwd: REPO, encoding: 'utf8' }).split('\n').filter(Boolean);
    expect(files.length).toBeGreaterThan(10);
    for (const f of files) expect(readFileSync(join(REPO, f), 'utf8').split('\n')[0], f).toMatch(/^# yaml-language-server: \$schema=.*\.schema\.json$/);
  });
});
