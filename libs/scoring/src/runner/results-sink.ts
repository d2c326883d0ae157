import { closeSync, openSync, readSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { SampleResult } from '@evalgraph/core';

const CHUNK_BYTES = 1 << 20;

/**
 * What aggregation needs of a result: everything but the texts. Aggregators read ids, scores, outcomes, token
 * counts, latencies and scorer detail; the prompt and the response are the bulk of a result and go to disk only.
 */
function slim(r: SampleResult): SampleResult {
  const { reasoning: _reasoning, ...rest } = r;
  return { ...rest, prompt: '', response: '' };
}

/**
 * Collects a cell's sample results on disk as they finish, in whatever order scoring ends, and writes
 * samples.jsonl in sample order at the end. Memory holds only a slim copy of each result and two numbers per
 * sample, so a cell of any size costs about the same.
 */
export class ResultsSink {
  private readonly unorderedPath: string;
  private fd: number | null;
  private pos = 0;
  private readonly start: Float64Array;
  private readonly bytes: Float64Array;
  private readonly slimBySample: (SampleResult[] | undefined)[];
  private added = 0;

  /** Opens `<dir>/samples.unordered` for a cell of `samples` samples; `dir` must exist. */
  constructor(
    private readonly dir: string,
    samples: number,
  ) {
    this.unorderedPath = join(dir, 'samples.unordered');
    this.fd = openSync(this.unorderedPath, 'w+');
    this.start = new Float64Array(samples);
    this.bytes = new Float64Array(samples).fill(-1);
    this.slimBySample = new Array(samples);
  }

  /** Stores the results of one sample (all its generations). */
  add(sample: number, results: SampleResult[]): void {
    if (this.fd === null) return; // the cell already failed or finished; a late scorer has nothing to add
    if (this.bytes[sample] >= 0) throw new Error(`sample ${sample} was scored twice`);
    const block = Buffer.from(results.map((r) => `${JSON.stringify(r)}\n`).join(''));
    writeSync(this.fd, block);
    this.start[sample] = this.pos;
    this.bytes[sample] = block.length;
    this.pos += block.length;
    this.slimBySample[sample] = results.map(slim);
    this.added++;
  }

  /** Writes samples.jsonl in sample order and returns the slim results in the same order. */
  finish(): SampleResult[] {
    if (this.fd === null) throw new Error('results sink already closed');
    if (this.added !== this.start.length) throw new Error(`${this.start.length - this.added} of ${this.start.length} samples were never scored`);
    const src = this.fd;
    const out = openSync(join(this.dir, 'samples.jsonl'), 'w');
    try {
      let chunk = Buffer.allocUnsafe(CHUNK_BYTES);
      let used = 0;
      for (let s = 0; s < this.start.length; s++) {
        const len = this.bytes[s];
        if (used + len > chunk.length) {
          writeSync(out, chunk, 0, used);
          used = 0;
          if (len > chunk.length) chunk = Buffer.allocUnsafe(len);
        }
        readSync(src, chunk, used, len, this.start[s]);
        used += len;
      }
      if (used > 0) writeSync(out, chunk, 0, used);
    } finally {
      closeSync(out);
      this.close();
    }
    unlinkSync(this.unorderedPath);
    return this.slimBySample.flatMap((r) => r ?? []);
  }

  /** Closes the file without writing samples.jsonl (the caller removes the staging folder). */
  close(): void {
    if (this.fd === null) return;
    closeSync(this.fd);
    this.fd = null;
  }
}
