import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { resolveTrainRun } from '@evalgraph/core';
import { buildTrainerJob, EVENT_PREFIX, formatTrainerEvent, parseTrainerLine, runTrainer, TrainerError } from '../src';
import { groupMembers } from '../src/proc';

const REPO = resolve(__dirname, '../../..');

describe('trainer job', () => {
  it('carries the resolved recipe, the profile defaults and the model’s default-mode template settings', () => {
    const r = resolveTrainRun(REPO, 'qwen3-4b-math-code');
    const job = buildTrainerJob(r, { dataFile: 'd.jsonl', outDir: 'o', metricsFile: 'm.json' });
    expect(job).toMatchObject({
      trainer: 'fake',
      base: { hf_id: 'Qwen/Qwen3-4B', revision: r.modelConfig.revision, standin_seed: 0 },
      batch_size: 8,
      gradient_accumulation: 4,
      precision: 'bf16',
      epochs: 1,
      max_steps: null,
      end_text: '<|im_end|>',
      chat_template_kwargs: { enable_thinking: false },
      lora: { rank: 16, alpha: 32, target_modules: ['q_proj', 'k_proj', 'v_proj', 'o_proj'] },
    });
  });

  it('reads progress events and prints step, loss, tokens/s and ETA', () => {
    expect(parseTrainerLine('loading weights')).toBeUndefined();
    expect(parseTrainerLine(EVENT_PREFIX + '{bad')).toBeUndefined();
    const e = parseTrainerLine(EVENT_PREFIX + JSON.stringify({ event: 'step', step: 5, total_steps: 100, loss: 1.23456, tokens_per_s: 5230.4, eta_s: 125 }))!;
    expect(formatTrainerEvent('train-x', e)).toBe('train-x: step 5/100 · loss 1.2346 · 5230 tok/s · ETA 2m05s');
  });
});

describe('tools/trainer', () => {
  // python3 comes with `npm run setup` (the sandbox needs it): a missing one fails here, it is not skipped.
  it('its torch-free Python tests pass (job checks, schedule, loss masking, the fake trainer)', () => {
    const r = spawnSync('python3', ['-m', 'unittest', 'tests.test_logic'], { cwd: join(REPO, 'tools/trainer'), encoding: 'utf8', env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' } });
    expect(r.error, 'python3 is missing: npm run setup').toBeUndefined();
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/Ran \d+ tests[\s\S]*OK/);
  });
});

describe('runTrainer', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'evalgraph-trainer-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const script = (body: string) => {
    const f = join(dir, 'trainer.sh');
    writeFileSync(f, body);
    return ['sh', f];
  };

  it('returns the events, prints progress and logs every line', async () => {
    const printed: string[] = [];
    const ev = (o: object) => `echo '${EVENT_PREFIX}${JSON.stringify(o)}'`;
    const cmd = script([ev({ event: 'start', trainer: 'fake', examples: 3, total_steps: 2 }), 'echo plain output', ev({ event: 'step', step: 1, total_steps: 2, loss: 2 }), ev({ event: 'step', step: 2, total_steps: 2, loss: 1 }), 'echo to stderr >&2'].join('\n'));
    const events = await runTrainer({ run: 'r', command: cmd, cwd: dir, logFile: join(dir, 'log/train.log'), print: (l) => printed.push(l), printEveryMs: 60_000 });
    expect(events.map((e) => e.event)).toEqual(['start', 'step', 'step']);
    // The first step is throttled away (60 s), the last one always prints.
    expect(printed).toEqual(['r: training with fake on 3 examples, 2 steps', 'r: step 2/2 · loss 1.0000']);
    const log = readFileSync(join(dir, 'log/train.log'), 'utf8');
    expect(log).toContain('plain output');
    expect(log).toContain('to stderr');
  });

  it('a failing trainer is a TrainerError with the exit code and the log’s last lines', async () => {
    const err = await runTrainer({ run: 'r', command: script('echo "CUDA out of memory"\nexit 3'), cwd: dir, logFile: join(dir, 'train.log'), print: () => undefined }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TrainerError);
    expect((err as Error).message).toMatch(/r: the trainer failed \(exit code 3\)[\s\S]*\| CUDA out of memory/);
  });

  it('abort stops the whole process group, SIGKILL after the grace period when SIGTERM is ignored', async () => {
    const ac = new AbortController();
    let pgid = -1;
    const cmd = script(`trap '' TERM\nsleep 300 &\necho ready\nwait`);
    const running = runTrainer({ run: 'r', command: cmd, cwd: dir, logFile: join(dir, 'train.log'), print: () => undefined, signal: ac.signal, graceMs: 300, onSpawn: (p) => (pgid = p) });
    await new Promise((r) => setTimeout(r, 300));
    expect(groupMembers(pgid).length).toBeGreaterThanOrEqual(2);
    ac.abort(new Error('interrupted by SIGINT'));
    const err = await running.catch((e: unknown) => e);
    expect((err as Error).message).toMatch(/r: training stopped \(interrupted by SIGINT\); nothing was written/);
    expect(groupMembers(pgid)).toEqual([]);
  });

  it('a missing interpreter is a clear error', async () => {
    const err = await runTrainer({ run: 'r', command: [join(dir, 'no-python')], cwd: dir, logFile: join(dir, 'train.log'), print: () => undefined }).catch((e: unknown) => e);
    expect((err as Error).message).toMatch(/could not run .*no-python.*set EVALGRAPH_PYTHON/);
  });
});
