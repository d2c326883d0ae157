import { mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { fileDigest, type ResolvedCell } from '@evalgraph/core';
import { DamagedCellsError, loadCells } from '../src';
import { generateFixture, type FixtureOptions } from './fixtures/cells';

const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'evalgraph-integrity-'));
  dirs.push(d);
  return d;
};
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

const opts: FixtureOptions = {
  variants: [{ id: 'qwen3-8b', accuracy: 0.6 }, { id: 'qwen3-14b', accuracy: 0.8 }],
  datasets: [{ name: 'gsm8k', tasks: 40 }],
};
const rerun = (c: ResolvedCell) => `npx evalgraph cache prune --damaged && npx nx run cell-${c.pipeline}--${c.variant}--${c.dataset}:evaluate`;

/** A fixture whose run.json files record their cell's digests, as run-cell writes them. */
function recordedFixture() {
  const fx = generateFixture(tmp(), opts);
  for (const cell of fx.pipeline.cells) {
    const dir = join(fx.root, cell.resultsDir);
    const run = JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8'));
    run.files = { 'metrics.json': fileDigest(join(dir, 'metrics.json')), 'samples.jsonl': fileDigest(join(dir, 'samples.jsonl')) };
    writeFileSync(join(dir, 'run.json'), JSON.stringify(run, null, 2) + '\n');
  }
  return fx;
}

function thrown(fn: () => unknown): Error {
  try {
    fn();
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected an error');
}

describe('cell integrity: run.json digests', () => {
  it('loads intact cells with digests and nothing unverified', () => {
    const { root, pipeline } = recordedFixture();
    const loaded = loadCells(root, pipeline, { rerunCommand: rerun });
    expect(loaded.cells).toHaveLength(2);
    expect(loaded.unverified).toEqual([]);
  });

  it('a samples.jsonl cut at a line boundary (parses, validates) is a damaged cell named with its fix, never folded in', () => {
    const { root, pipeline } = recordedFixture();
    const cell = pipeline.cells[0];
    const file = join(root, cell.resultsDir, 'samples.jsonl');
    const lines = readFileSync(file, 'utf8').split('\n');
    writeFileSync(file, lines.slice(0, 10).join('\n') + '\n');
    const e = thrown(() => loadCells(root, pipeline, { rerunCommand: rerun }));
    expect(e).toBeInstanceOf(DamagedCellsError);
    expect(e.message).toContain(`${cell.key}: damaged result files in ${cell.resultsDir}, so nothing was compared or reported`);
    expect(e.message).toMatch(/samples\.jsonl is not the file written with the cell \(cut short: \d+ of \d+ bytes; sha256 [0-9a-f]{12}… where run\.json recorded [0-9a-f]{12}…\)/);
    expect(e.message).toContain(`fix: re-run it: npx evalgraph cache prune --damaged && npx nx run cell-fixture--${cell.variant}--gsm8k:evaluate`);
    expect((e as DamagedCellsError).damaged.map((d) => d.cell)).toEqual([cell.key]);
  });

  it('lists every damaged cell: a byte changed in metrics.json (same size), a missing samples.jsonl', () => {
    const { root, pipeline } = recordedFixture();
    const [a, b] = pipeline.cells;
    const mfile = join(root, a.resultsDir, 'metrics.json');
    writeFileSync(mfile, readFileSync(mfile, 'utf8').replace(/"n": (\d)/, (_m, d: string) => `"n": ${(Number(d) + 1) % 10}`));
    rmSync(join(root, b.resultsDir, 'samples.jsonl'));
    const e = thrown(() => loadCells(root, pipeline, { rerunCommand: rerun })) as DamagedCellsError;
    expect(e).toBeInstanceOf(DamagedCellsError);
    expect(e.damaged.map((d) => d.cell)).toEqual([a.key, b.key]);
    expect(e.message).toMatch(/metrics\.json is not the file written with the cell \(same size, other content/);
    expect(e.message).toMatch(/samples\.jsonl is missing \(run\.json recorded \d+ bytes\)/);
    expect(e.message.match(/fix: re-run it: npx evalgraph cache prune --damaged && npx nx run cell-fixture--\S+--gsm8k:evaluate/g)).toHaveLength(2);
  });

  it('a run.json cut short is a damaged cell too', () => {
    const { root, pipeline } = recordedFixture();
    const rfile = join(root, pipeline.cells[1].resultsDir, 'run.json');
    truncateSync(rfile, 40);
    const e = thrown(() => loadCells(root, pipeline, { rerunCommand: rerun }));
    expect(e).toBeInstanceOf(DamagedCellsError);
    expect(e.message).toMatch(/run\.json not valid JSON/);
  });

  it('an older run.json without digests is accepted with a warning naming the cell; its sample count is still checked', () => {
    const { root, pipeline } = generateFixture(tmp(), opts);
    const loaded = loadCells(root, pipeline);
    expect(loaded.cells).toHaveLength(2);
    expect(loaded.unverified).toEqual(pipeline.cells.map((c) => expect.stringContaining(`${c.key}: ${c.resultsDir}/run.json records no file digests`)));
    const file = join(root, pipeline.cells[0].resultsDir, 'samples.jsonl');
    writeFileSync(file, readFileSync(file, 'utf8').split('\n').slice(0, 3).join('\n') + '\n');
    expect(() => loadCells(root, pipeline)).toThrow(DamagedCellsError);
  });
});
