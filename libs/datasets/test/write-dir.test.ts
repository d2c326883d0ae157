import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { writeDirAtomic } from '../src/write-dir';

// The compiled module (test/helpers/build-setup.ts builds it), so separate processes race as two nx runs would.
const COMPILED = resolve(__dirname, '../dist/write-dir.js');

let base: string;
beforeEach(() => (base = mkdtempSync(join(tmpdir(), 'evalgraph-write-dir-'))));
afterEach(() => rmSync(base, { recursive: true, force: true }));

/** Runs `writers` processes that each write `dir` `times` times; `same` decides whether they all write one content. */
function race(dir: string, writers: number, times: number, same: boolean): Promise<{ code: number | null; err: string }[]> {
  const script = `const { writeDirAtomic } = require(${JSON.stringify(COMPILED)});
for (let i = 0; i < ${times}; i++) writeDirAtomic(process.argv[1], { 'data.jsonl': 'row\\n'.repeat(500) + (${same} ? '' : process.pid), 'manifest.json': '{}' });`;
  return Promise.all(
    Array.from({ length: writers }, () => {
      const child = spawn(process.execPath, ['-e', script, dir], { stdio: ['ignore', 'ignore', 'pipe'] });
      let err = '';
      child.stderr.on('data', (d) => (err += d));
      return new Promise<{ code: number | null; err: string }>((r) => child.on('exit', (code) => r({ code, err })));
    }),
  );
}

describe('writeDirAtomic', () => {
  it('replaces the directory with exactly the new files', () => {
    const dir = join(base, 'prepared');
    writeDirAtomic(dir, { 'a.jsonl': '1\n', 'stale.json': '{}' });
    writeDirAtomic(dir, { 'a.jsonl': '2\n' });
    expect(readdirSync(dir)).toEqual(['a.jsonl']);
    expect(readFileSync(join(dir, 'a.jsonl'), 'utf8')).toBe('2\n');
    expect(readdirSync(base)).toEqual(['prepared']);
  });

  it('concurrent writers of one preparation (two nx runs that both missed the cache) all succeed and leave no temporary folders', async () => {
    const dir = join(base, 'prepared');
    for (const r of await race(dir, 4, 60, true)) expect(r.code, r.err).toBe(0);
    expect(readdirSync(base)).toEqual(['prepared']);
    expect(readdirSync(dir).sort()).toEqual(['data.jsonl', 'manifest.json']);
  });

  it('concurrent writers of different content all succeed and one complete writing wins', async () => {
    const dir = join(base, 'prepared');
    for (const r of await race(dir, 4, 60, false)) expect(r.code, r.err).toBe(0);
    expect(readdirSync(base)).toEqual(['prepared']);
    expect(readFileSync(join(dir, 'data.jsonl'), 'utf8')).toMatch(/^(row\n){500}\d+$/);
  });
});
