import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scratchWorkspace, type Scratch } from '../../../test/helpers/scratch-workspace';

// The one test that spawns `nx g`: it proves the wiring (package.json "generators", generators.json, schema.json
// argument parsing, the TypeScript factories loading in Nx). What the generators write is tested in generators.test.ts.
let ws: Scratch;
beforeAll(() => {
  ws = scratchWorkspace();
});
afterAll(() => ws?.dispose());

describe('nx g @evalgraph/plugin:*', () => {
  it('--dry-run shows the file and what is left to fill in, and writes nothing', () => {
    const r = ws.nx(['g', '@evalgraph/plugin:model', 'qwen3-8b-sft', '--from', 'qwen3-8b', '--hf-id', 'acme/qwen3-8b-sft', '--dry-run']);
    expect(r.out).toContain('CREATE configs/models/qwen3-8b-sft/model.yaml');
    expect(r.out).toMatch(/configs\/models\/qwen3-8b-sft\/model\.yaml:\d+: revision: expected the 40-hex commit of acme\/qwen3-8b-sft to pin .*found a TODO placeholder/);
    expect(r.status).toBe(0);
    expect(existsSync(join(ws.root, 'configs/models/qwen3-8b-sft'))).toBe(false);
  });

  it('a bad argument fails with one clear line and exit 1', () => {
    const r = ws.nx(['g', '@evalgraph/plugin:pipeline', 'p', '--models', 'qwen3-8c', '--datasets', 'gsm8k']);
    expect(r.status).toBe(1);
    expect(r.out).toMatch(/--models: no model "qwen3-8c" .*did you mean "qwen3-8b"\?/);
    expect(r.out).not.toMatch(/at \S+ \(.*\.ts:\d+/);
    expect(existsSync(join(ws.root, 'pipelines/p'))).toBe(false);
  });
});
