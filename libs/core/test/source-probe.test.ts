import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DOWNLOADS_DIR, sourceFilesPresent, sourceProbeCommand, type DatasetConfig } from '../src';

const SHA_A = 'a'.repeat(64);
const SHA_B = "b'quote".padEnd(64, 'b');
const config = (mirror?: string) =>
  ({
    mirror,
    source: {
      files: [
        { path: 'x/a.jsonl', sha256: SHA_A, mirror_path: 'set/a.jsonl', role: 'data' },
        { path: "x/b'.jsonl", sha256: SHA_B, mirror_path: "set/b'.jsonl", role: 'fewshot' },
      ],
    },
  }) as unknown as DatasetConfig;

let root: string;
const shellProbe = (c: DatasetConfig, env: Record<string, string>) =>
  execFileSync('sh', ['-c', sourceProbeCommand(c)], { cwd: root, encoding: 'utf8', env: { PATH: process.env.PATH ?? '', ...env } });
/** The shell probe's output, checked against the in-process check the plugin makes at graph time: both must agree. */
const probe = (c: DatasetConfig, env: Record<string, string> = {}) => {
  const out = shellProbe(c, env);
  expect(sourceFilesPresent(root, c, DOWNLOADS_DIR, env), `in-process check vs probe output ${out}`).toBe(!out.includes('absent'));
  return out;
};

describe('sourceProbeCommand (the runtime input that keeps an unreachable source out of the cache)', () => {
  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'evalgraph-probe-'));
    mkdirSync(join(root, 'mirror/set'), { recursive: true });
    writeFileSync(join(root, 'mirror/set/a.jsonl'), 'aaaa');
    writeFileSync(join(root, "mirror/set/b'.jsonl"), 'bb');
    mkdirSync(join(root, DOWNLOADS_DIR), { recursive: true });
    writeFileSync(join(root, DOWNLOADS_DIR, SHA_A), 'a');
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('is stable while every file is in the mirror, and changes when one changes size', () => {
    const first = probe(config('mirror'));
    expect(first).not.toContain('absent');
    expect(probe(config('mirror'))).toBe(first);
    writeFileSync(join(root, 'mirror/set/a.jsonl'), 'aaaaa');
    expect(probe(config('mirror'))).not.toBe(first);
  });

  it('differs on every run while a file is missing', () => {
    const a = probe(config('no-such-mirror'));
    const b = probe(config('no-such-mirror'));
    expect(a).toContain('absent');
    expect(a).not.toBe(b);
  });

  it('reads EVALGRAPH_DATA_MIRROR before the config mirror, as prepare does', () => {
    expect(probe(config('mirror'), { EVALGRAPH_DATA_MIRROR: join(root, 'elsewhere') })).toContain('absent');
    expect(probe(config(), { EVALGRAPH_DATA_MIRROR: join(root, 'mirror') })).not.toContain('absent');
  });

  it('with a relative EVALGRAPH_DATA_MIRROR, reads it from the workspace root, as Nx runs the probe', () => {
    expect(probe(config(), { EVALGRAPH_DATA_MIRROR: 'mirror' })).not.toContain('absent');
    expect(probe(config(), { EVALGRAPH_DATA_MIRROR: 'mirror/set' })).toContain('absent');
  });

  it('without a mirror, looks in the download cache by sha256', () => {
    expect(probe(config())).toContain('absent'); // only the first file was downloaded
    writeFileSync(join(root, DOWNLOADS_DIR, SHA_B), 'b');
    const complete = probe(config());
    expect(complete).not.toContain('absent');
    expect(probe(config())).toBe(complete);
  });
});
