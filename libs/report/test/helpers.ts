import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { loadCells } from '@evalgraph/analysis';
import { buildSummary, samplesByCell, type BuildSummaryInput, type Summary } from '../src';
import { H100, generateFixture, standardOptions, type Fixture, type FixtureOptions } from './fixtures';

/** A temp dir removed after the test file. */
export function tempDirs(): () => string {
  const dirs: string[] = [];
  afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
  return () => {
    const d = mkdtempSync(join(tmpdir(), 'evalgraph-report-'));
    dirs.push(d);
    return d;
  };
}

export interface Built {
  fixture: Fixture;
  summary: Summary;
  samples: ReturnType<typeof samplesByCell>;
}

/** Generates a fixture (standard options + overrides), loads it and builds its summary. */
export function build(root: string, overrides: Partial<FixtureOptions> = {}, extra: Partial<BuildSummaryInput> = {}): Built {
  const fixture = generateFixture(root, standardOptions(overrides));
  const loaded = loadCells(root, fixture.pipeline);
  const summary = buildSummary({ pipeline: fixture.pipeline, loaded, gpu: H100, git: { commit: '0123456789abcdef0123456789abcdef01234567', dirty: false }, generatedAt: '2026-02-03T04:05:06.000Z', ...extra });
  return { fixture, summary, samples: samplesByCell(loaded) };
}
