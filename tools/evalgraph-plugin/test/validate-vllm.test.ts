import { chmodSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join, resolve } from 'node:path';
import type { ExecutorContext } from '@nx/devkit';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import validateExecutor from '../src/executors/validate/executor';

const REPO = resolve(__dirname, '../../..');
const STANDIN_DIR = join(REPO, 'libs/inference/test/fixtures/standin-vllm');
let root: string;
const savedPath = process.env.PATH;
const savedVllm = process.env.EVALGRAPH_VLLM;

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'evalgraph-validate-'));
  for (const rel of ['configs/models/qwen3-8b', 'configs/presets/balanced.yaml', 'configs/gpus/h100-80gb.yaml']) {
    cpSync(join(REPO, rel), join(root, rel), { recursive: true });
  }
});
afterAll(() => rmSync(root, { recursive: true, force: true }));
afterEach(() => {
  process.env.PATH = savedPath;
  if (savedVllm === undefined) delete process.env.EVALGRAPH_VLLM;
  else process.env.EVALGRAPH_VLLM = savedVllm;
  vi.restoreAllMocks();
});

/** A vLLM that prints version X and, as its help, the stand-in's 0.11 flags minus --swap-space plus --new-flag. */
function fakeVllm(version: string): string {
  const dir = join(root, `fake-${version}`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, 'vllm'),
    `#!/usr/bin/env node
const { execFileSync } = require('child_process');
const a = process.argv.slice(2);
if (a[0] === '--version') { console.log(${JSON.stringify(version)}); process.exit(0); }
const help = execFileSync(${JSON.stringify(join(STANDIN_DIR, 'vllm'))}, ['serve', '--help=all'], { encoding: 'utf8' });
process.stdout.write(help.split('\\n').filter((l) => !l.startsWith('  --swap-space')).join('\\n') + '\\n  --new-flag NEW_FLAG   added in ${version}\\n');
`,
  );
  chmodSync(join(dir, 'vllm'), 0o755);
  return dir;
}

async function validate(): Promise<{ success: boolean; out: string; json: { ok: boolean; vllm: { version: string | null; range: string; flags: string } } }> {
  const lines: string[] = [];
  for (const m of ['log', 'warn', 'error'] as const) vi.spyOn(console, m).mockImplementation((...a: unknown[]) => void lines.push(a.join(' ')));
  const r = await validateExecutor({ model: 'qwen3-8b', presets: ['balanced'], gpus: ['h100-80gb'] }, { root } as ExecutorContext);
  vi.restoreAllMocks();
  return { ...r, out: lines.join('\n'), json: JSON.parse(readFileSync(join(root, 'results/models/qwen3-8b/validate.json'), 'utf8')) };
}

describe('validate: the installed vLLM', () => {
  it('says the version is in range and which flag list it checked against', async () => {
    delete process.env.EVALGRAPH_VLLM;
    process.env.PATH = `${fakeVllm('0.32.0')}${delimiter}${savedPath}`;
    const r = await validate();
    expect(r.success).toBe(true);
    expect(r.out).toContain('vLLM: vLLM 0.32.0 is in the supported range 0.10.2 to 0.32.x; flags checked against vLLM 0.32.0 (its `vllm serve --help=all`, cached in .evalgraph/vllm-flags/vllm-0.32.0.json)');
    expect(r.json.vllm).toEqual({ version: '0.32.0', range: 'in-range', flags: expect.stringContaining('vLLM 0.32.0') });
  });

  it('warns outside the range, naming the range and what evalgraph does; a preset flag the vLLM lacks fails validate', async () => {
    delete process.env.EVALGRAPH_VLLM;
    process.env.PATH = `${fakeVllm('0.40.0')}${delimiter}${savedPath}`;
    const balanced = readFileSync(join(root, 'configs/presets/balanced.yaml'), 'utf8');
    writeFileSync(join(root, 'configs/presets/balanced.yaml'), `${balanced.trimEnd()}\nswap_space: 4\n`);
    try {
      const r = await validate();
      expect(r.out).toContain('warning: evalgraph checks flags against this vLLM');
      expect(r.out).toContain('vLLM 0.40.0 is newer than the supported range 0.10.2 to 0.32.x');
      expect(r.success).toBe(false);
      expect(r.out).toContain('--swap-space (preset swap_space)');
      expect(r.json.vllm.range).toBe('newer');
    } finally {
      writeFileSync(join(root, 'configs/presets/balanced.yaml'), balanced);
    }
  });

  it('without vLLM, checks against the frozen 0.11 list and says so', async () => {
    process.env.PATH = '/usr/bin:/bin';
    delete process.env.EVALGRAPH_VLLM;
    const r = await validate();
    expect(r.success).toBe(true);
    expect(r.out).toContain('no vLLM found');
    expect(r.json.vllm.flags).toContain('frozen list of vLLM 0.11');
  });
});
