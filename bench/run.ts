// evalgraph's benchmarks, one command: generates its own workspaces in a temp dir, measures everything of issue 7
// on this machine against baselines measured in the same run, and writes bench/RESULTS.md and bench/results.json.
//
//   npm run bench                      (node -r @swc-node/register bench/run.ts)
//   npm run bench -- --quick           small grid, 1 repeat: a minute or two, for development
//   options: --repeats N (default 3)  --only 1,2,3,4,5,6 or names (--only cached-rerun)  --out DIR (default bench/)
//            --mgpu-scale X, --mgpu-fraction F (item 6: pretend-GPU time factor, default 15; share of each dataset's
//            records sampled, default 0.002), --mgpu-gpus 8,4,2,1 (the GPU counts), --mgpu-repeats N (runs of the
//            8-GPU sweep, whose target is judged on their median; default 3)
//            --keep (keep the temp workspaces)
//            --render: rewrite RESULTS.md from results.json and bench/findings.md without measuring anything
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Scratch } from '../test/helpers/scratch-workspace';
import { cachedRerun, type ItemOutput } from './items/cached-rerun';
import { projection, readSandboxJson, volumesTable } from './items/projection';
import { multiGpu } from './items/multigpu';
import { scheduling } from './items/scheduling';
import { throughput } from './items/throughput';
import { killChildren, runTimed, startZeroLatency } from './lib/proc';
import { markdown } from './lib/report';
import { row, type BenchResults, type Row } from './lib/results';
import { spread } from './lib/stats';
import { DATASETS, MODELS, PRESETS, benchWorkspace, nxTimed, pipelineYaml, type PipelineShape } from './lib/workspace';
import { ensureTools } from './peers/tools';

const REPO = path.resolve(__dirname, '..');

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

function sh(cmd: string, args: string[]): string {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8' }).trim();
  } catch {
    return `(${cmd} unavailable)`;
  }
}

/** Item names `--only` accepts besides their numbers. */
const ITEMS: Record<string, string> = { 'cached-rerun': '1', throughput: '2', scheduling: '3', sandbox: '4', projection: '5', multigpu: '6' };

/** The items `--only` names, as numbers; an unknown one is an error naming the choices. */
function onlyItems(spec: string): Set<string> {
  return new Set(
    spec.split(',').map((x) => {
      const n = ITEMS[x] ?? x;
      if (!Object.values(ITEMS).includes(n)) throw new Error(`--only ${x}: expected 1-6 or ${Object.keys(ITEMS).join(', ')}`);
      return n;
    }),
  );
}

/** A bench workspace runs with the repository's root .env (NX_ISOLATE_PLUGINS=false), as a user's clone does. */
function withRootEnv(ws: Scratch): Scratch {
  const env = path.join(REPO, '.env');
  if (existsSync(env)) {
    copyFileSync(env, path.join(ws.root, '.env'));
    ws.commit('bench: the repository root .env');
  }
  return ws;
}

function loadavg(): string {
  return os.loadavg().map((x) => x.toFixed(2)).join(' ');
}

function machine(): Record<string, string | number> {
  return {
    uname: sh('uname', ['-srvmo']),
    nproc: sh('nproc', []),
    cpu: os.cpus()[0]?.model ?? 'unknown',
    free: sh('free', ['-m']),
    node: process.version,
    load_start: loadavg(),
  };
}

/** The hand-written sections: the projection's inputs (from the measured raw data) and bench/findings.md. */
function extraSections(raw: Record<string, unknown>): { title: string; body: string }[] {
  const sections: { title: string; body: string }[] = [];
  if (raw.projection) sections.push({ title: 'Projection inputs: one model’s requests and tokens per dataset (full splits)', body: volumesTable(raw.projection as Parameters<typeof volumesTable>[0]) });
  // What the numbers mean and what would make the missed ones faster: written by hand, kept next to the code.
  const findings = path.join(REPO, 'bench', 'findings.md');
  if (existsSync(findings)) sections.push({ title: 'Findings and fixes', body: readFileSync(findings, 'utf8').trim() });
  return sections;
}

async function main() {
  if (process.argv.includes('--render')) {
    const outDir = path.resolve(arg('--out') ?? path.join(REPO, 'bench'));
    const res = JSON.parse(readFileSync(path.join(outDir, 'results.json'), 'utf8')) as BenchResults;
    writeFileSync(path.join(outDir, 'RESULTS.md'), markdown(res, { sections: extraSections(res.raw) }));
    process.stdout.write(`rewrote ${path.join(outDir, 'RESULTS.md')} from results.json\n`);
    return;
  }
  const started = Date.now();
  const quick = process.argv.includes('--quick');
  const repeats = Number(arg('--repeats') ?? (quick ? 1 : 3));
  const only = onlyItems(arg('--only') ?? '1,2,3,4,5,6');
  const outDir = path.resolve(arg('--out') ?? path.join(REPO, 'bench'));
  const keep = process.argv.includes('--keep');
  const log = (s: string) => process.stderr.write(`[bench ${((Date.now() - started) / 1000).toFixed(0).padStart(4)} s] ${s}\n`);
  const mach = machine();
  const work = mkdtempSync(path.join(os.tmpdir(), 'evalgraph-bench-'));
  const workspaces: Scratch[] = [];
  const rows: Row[] = [];
  const commands: BenchResults['commands'] = [{ what: 'everything', command: `npm run bench${quick ? ' -- --quick' : ''}` }];
  const notes: string[] = [];
  const raw: Record<string, unknown> = {};
  const add = (name: string, o: ItemOutput) => {
    rows.push(...o.rows);
    commands.push(...o.commands);
    notes.push(...o.notes);
    raw[name] = o.raw;
  };

  const grid: Omit<PipelineShape, 'backend'> = quick
    ? { models: MODELS.slice(0, 2), presets: PRESETS.slice(0, 2), datasets: ['gsm8k', 'arc-easy', 'humaneval', 'mt-bench'], samples: 10 }
    : { models: MODELS, presets: PRESETS, datasets: DATASETS, samples: 50 };
  const cells = grid.models.length * grid.presets.length * grid.datasets.length;
  log(`work dir ${work}; grid ${grid.models.length} models × ${grid.presets.length} presets × ${grid.datasets.length} datasets = ${cells} cells × ${grid.samples} samples; ${repeats} repeat(s)`);
  try {
    if (only.has('6')) {
      log('item 6: several GPUs on one host (makespan on 1, 2, 4, 8 GPUs)');
      const w6 = withRootEnv(benchWorkspace({}));
      workspaces.push(w6);
      // Few requests, each charged a scaled-up GPU cost: the pretend GPUs, not this 2-core machine's CPU, set the pace.
      const scale = Number(arg('--mgpu-scale') ?? (quick ? 2 : 15));
      const fraction = Number(arg('--mgpu-fraction') ?? (quick ? 0.001 : 0.002));
      const gpuCounts = (arg('--mgpu-gpus') ?? '8,4,2,1').split(',').map(Number);
      const targetRepeats = Number(arg('--mgpu-repeats') ?? (quick ? 1 : 3));
      add('multigpu', await multiGpu(w6, { gpuCounts, fraction, scale, targetRepeats, log }));
    }
    // Items 1-5 share the grid workspace, the peer tools and the zero-latency server; --only 6 needs none of them.
    grid: {
    if (![...only].some((n) => n !== '6')) break grid;
    const tools = ensureTools(log);
    commands.push({ what: `peer tools (promptfoo ${tools.promptfoo}: ${tools.how}; autocannon ${tools.autocannon})`, command: tools.installCommand });
    const server = await startZeroLatency();
    log(`zero-latency server on ${server.url}`);
    commands.push({ what: 'zero-latency server', command: 'node bench/servers/zero-latency.js --port <port>' });

    const shape: PipelineShape = { ...grid, backend: 'endpoint', judgeUrl: server.url };
    const w1 = withRootEnv(benchWorkspace({ bench: pipelineYaml(shape) }, server.url));
    workspaces.push(w1);
    log(`workspace ${w1.root}: preparing ${grid.datasets.length} datasets (not timed)`);
    await nxTimed(w1, ['run-many', '-t', 'prepare', '-p', grid.datasets.map((d) => `dataset-${d}`).join(','), '--outputStyle=static']);

    let item1: ItemOutput | undefined;
    if (only.has('1')) {
      log('item 1: cached re-run');
      item1 = await cachedRerun(w1, shape, server, { repeats, coldRepeats: quick ? 1 : Math.min(repeats, 2), promptfooDir: path.join(work, 'promptfoo'), log });
      add('cached_rerun', item1);
    }
    let item2: ItemOutput | undefined;
    if (only.has('2')) {
      log('item 2: client throughput and evaluator memory');
      item2 = await throughput(REPO, w1, server, { repeats, quick, workDir: work, log });
      add('throughput', item2);
    }
    await server.stop();

    let item3: ItemOutput | undefined;
    if (only.has('3')) {
      log('item 3: scheduling');
      const dsets = grid.datasets;
      const large: PipelineShape = { models: grid.models, presets: grid.presets, datasets: dsets, samples: 5, backend: 'dummy' };
      const small: PipelineShape = { models: grid.models.slice(0, 1), presets: grid.presets.slice(0, 1), datasets: dsets, samples: 5, backend: 'dummy' };
      const standin: PipelineShape = { models: ['qwen3-8b'], presets: ['balanced'], datasets: ['gsm8k'], samples: 5, backend: 'vllm' };
      const w2 = withRootEnv(benchWorkspace({ 'sched-large': pipelineYaml(large), 'sched-small': pipelineYaml(small), standin: pipelineYaml(standin) }));
      workspaces.push(w2);
      log(`workspace ${w2.root}: preparing datasets (not timed)`);
      await nxTimed(w2, ['run-many', '-t', 'prepare', '-p', dsets.map((d) => `dataset-${d}`).join(','), '--outputStyle=static']);
      item3 = await scheduling(w2, {
        repeats,
        large: { pipeline: 'sched-large', cells: large.models.length * large.presets.length * dsets.length },
        small: { pipeline: 'sched-small', cells: dsets.length },
        standin: { pipeline: 'standin', vllm: path.join(w2.root, 'libs/inference/test/fixtures/standin-vllm/vllm') },
        log,
      });
      add('scheduling', item3);
    }

    let scorerRate: number | undefined;
    let scorerParallel = 1;
    if (only.has('4')) {
      log('item 4: sandbox (bench/sandbox/humaneval.ts, 1 repeat)');
      const out = path.join(work, 'humaneval.json');
      const r = await runTimed(process.execPath, ['-r', '@swc-node/register', path.join(REPO, 'bench/sandbox/humaneval.ts'), out, '--repeats', '1'], { cwd: REPO, timeoutMs: 600_000 });
      if (r.status !== 0) throw new Error(`bench/sandbox/humaneval.ts failed:\n${r.out.slice(-3000)}`);
      const j = readSandboxJson(out);
      const s = j.samples_per_s;
      rows.push(row({ item: '4', name: `HumanEval canonical solutions in the sandbox (${j.samples} programs, parallel ${j.parallel})`, unit: 'samples/s', values: [s.sandbox.median], baseline: { name: 'bare `python3 -` per program', values: [s.bare.median] }, note: j.isolation }));
      rows.push(row({ item: '4', name: 'HumanEval through the scorer path (harness + reliability_guard in the sandbox)', unit: 'samples/s', values: [s.scorer.median], baseline: { name: 'bare `python3 -` per program', values: [s.bare.median] } }));
      scorerRate = s.scorer.median;
      scorerParallel = j.parallel;
      raw.sandbox = j;
      commands.push({ what: 'sandbox (HumanEval)', command: 'node -r @swc-node/register bench/sandbox/humaneval.ts <out.json> --repeats 1' });
    }

    if (only.has('5') && item1 && item2 && item3 && scorerRate) {
      log('item 5: projection');
      const r3 = item3.raw as { ms: Record<string, number[]>; marginal: number[] };
      const r1 = item1.raw as { seconds: Record<string, number[]> };
      const med = (xs: number[]) => spread(xs).median;
      const eg256 = (item2.raw as { results: { evalgraph: { concurrency: number; rps: number }[][] } }).results.evalgraph.map((rep) => rep.find((x) => x.concurrency === 256)?.rps ?? NaN);
      const p = projection(w1.root, grid.datasets, quick ? [] : [
        { name: 'hellaswag', records: 10042, like: 'arc-challenge', requestsPerRecord: 4 },
        { name: 'mmlu', records: 14042, like: 'arc-challenge', requestsPerRecord: 4 },
      ], { startS: med(r3.ms.spawn), tailS: med(r3.ms.tail), marginalMs: Math.max(0, med(r3.marginal)), perServerS: med(r3.ms.firstReq.map((f, i) => f - r3.ms.spawn[i])), clientRps: med(eg256), scorerSamplesPerS: scorerRate, scorerParallel, cachedRerunS: med(r1.seconds.cached) });
      add('projection', p);
    }
    }
  } finally {
    killChildren();
    mach.load_end = loadavg();
    if (!keep) for (const w of workspaces) w.dispose();
    if (!keep) rmSync(work, { recursive: true, force: true });
  }
  mach.shared = 'The machine is shared with other contributors’ test runs, so absolute times move with their load; ratios are taken repeat by repeat with the baseline measured right beside the figure.';
  const res: BenchResults = {
    date: new Date().toISOString(),
    command: `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`,
    options: { quick, repeats, only: [...only] },
    machine: mach,
    rows,
    commands,
    notes,
    raw,
    wall_s: (Date.now() - started) / 1000,
  };
  // --out may name a folder that does not exist yet.
  mkdirSync(outDir, { recursive: true });
  writeFileSync(path.join(outDir, 'results.json'), JSON.stringify(res, null, 2) + '\n');
  const sections = extraSections(raw);
  writeFileSync(path.join(outDir, 'RESULTS.md'), markdown(res, { sections }));
  process.stdout.write(`${markdown(res, { sections }).split('## Results')[1].split('## ')[0]}\nwrote ${path.join(outDir, 'RESULTS.md')} and results.json (${(res.wall_s / 60).toFixed(1)} min)\n`);
}

main().catch((e: unknown) => {
  killChildren();
  console.error(e instanceof Error ? e.stack : e);
  process.exitCode = 1;
});
