import { appendFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { ConfigError, isUserFacingError } from '@evalgraph/core';
import { runCell, runsSandboxedCode, sandboxPreflight, type CellInput } from '@evalgraph/scoring';
import { gpusPerServer, machineCapacity, queryGpus, type Backend, type GpuCapacity, type ServerSpec } from '@evalgraph/inference';
import type { CellOptions } from '../../nodes/pipeline-project';
import { loadCell } from './load-cell';
import { createBackends, serverSpec, slurmFor } from './backends';
import { readAdapter, serverLora, type AdapterInfo } from './adapters';
import { tuneHeapForEvaluation } from '../../shared/heap-tuning';

type Group = { spec: ServerSpec; cells: Loaded[] };

/**
 * Local vLLM servers lease the GPUs nvidia-smi reports (vLLM's --gpu-memory-utilization is a share of the real GPU),
 * only those $CUDA_VISIBLE_DEVICES names when it is set; Slurm jobs, where the scheduler places them, and the other
 * backends keep the profile's numbers. A group whose GPUs cannot be leased (a bad CUDA_VISIBLE_DEVICES) is left
 * out and its cells fail with that error, before any server starts.
 */
async function onMachineGpus(groups: Group[], fail: (g: Group, message: string) => void): Promise<Group[]> {
  const local = (g: Group) => g.spec.backend === 'vllm' && !g.spec.slurm;
  if (!groups.some(local)) return groups;
  const gpus = await queryGpus();
  const notes = new Set<string>();
  const out = groups.flatMap((g) => {
    if (!local(g)) return [g];
    let cap: GpuCapacity;
    try {
      cap = machineCapacity(g.spec.gpu, g.spec.gpuName, gpus);
    } catch (e) {
      if (!isUserFacingError(e)) throw e;
      fail(g, (e as Error).message);
      return [];
    }
    if (cap.note) notes.add(cap.note);
    return [{ ...g, spec: { ...g.spec, gpu: cap.gpu, ...(cap.devices ? { gpuDevices: cap.devices } : {}) } }];
  });
  for (const n of notes) console.log(n);
  return out;
}

/** The outcome of one cell as Nx wants it. */
export interface CellTaskResult {
  task: string;
  success: boolean;
  terminalOutput: string;
}

type Loaded = { task: string; options: CellOptions; input: Omit<CellInput, 'backend'>; adapter?: AdapterInfo };

/**
 * Runs cells grouped by server: one server per group, shared by its cells, started only for cells that missed
 * the cache (Nx hands us only those), and stopped when the group's last cell finishes. Results are yielded as each
 * cell finishes so Nx caches finished cells even if the run is interrupted later.
 */
export async function* runCells(root: string, tasks: { task: string; options: CellOptions }[], signal: AbortSignal): AsyncGenerator<CellTaskResult> {
  tuneHeapForEvaluation();
  const results: CellTaskResult[] = [];
  let wake: (() => void) | undefined;
  const push = (r: CellTaskResult) => {
    results.push(r);
    wake?.();
  };

  // Validate everything before any server starts: bad input must cost no GPU time.
  const loaded: Loaded[] = [];
  for (const t of tasks) {
    try {
      const input = loadCell(root, t.options);
      loaded.push({ ...t, input, ...(t.options.adapter !== undefined && { adapter: readAdapter(root, t.options.adapter) }) });
    } catch (e) {
      const msg = isUserFacingError(e) || e instanceof ConfigError ? (e as Error).message : (e as Error).stack ?? String(e);
      console.error(`${t.options.pipeline}:${t.options.cell}: ${msg}`);
      push({ task: t.task, success: false, terminalOutput: msg });
    }
  }
  // Without a working sandbox every code cell would fail on its own: say it once, before any cell runs.
  const coded = loaded.filter((l) => runsSandboxedCode(l.input.dataset));
  const noSandbox = coded.length ? await sandboxPreflight() : null;
  if (noSandbox) {
    console.error(`evalgraph: ${coded.length} code cell(s) not run: ${noSandbox.message}`);
    for (const l of coded) push({ task: l.task, success: false, terminalOutput: `${l.options.cell}: not run: the code sandbox is unavailable here (npm run setup; npx evalgraph doctor says why)` });
  }
  const groups = new Map<string, { spec: ServerSpec; cells: Loaded[] }>();
  for (const l of noSandbox ? loaded.filter((x) => !coded.includes(x)) : loaded) {
    let spec: ServerSpec;
    try {
      spec = serverSpec(root, l.input, l.options, slurmFor(root, l.options, l.input.gpu));
      if (spec.slurm) gpusPerServer(spec, spec.slurm); // a GPU count below the model's tensor parallel fails here, before sbatch
    } catch (e) {
      const msg = isUserFacingError(e) || e instanceof ConfigError ? (e as Error).message : (e as Error).stack ?? String(e);
      console.error(`${l.options.pipeline}:${l.options.cell}: ${msg}`);
      push({ task: l.task, success: false, terminalOutput: msg });
      continue;
    }
    const g = groups.get(spec.key) ?? { spec, cells: [] };
    g.cells.push(l);
    groups.set(spec.key, g);
  }
  const backends = createBackends(root, signal);
  // One server for the base model and every adapter its cells ask for (cells of one model share the key).
  const withLora = ({ spec: base, cells }: Group): Group => {
    const lora = serverLora(cells.flatMap((c) => (c.adapter ? [c.adapter] : [])));
    return { spec: { ...base, ...(lora && { lora }) }, cells };
  };
  const planned = await onMachineGpus([...groups.values()].map(withLora), (g, message) => {
    console.error(`evalgraph: ${g.cells.length} cell(s) of ${g.spec.modelName} not run: ${message}`);
    for (const c of g.cells) push({ task: c.task, success: false, terminalOutput: `${c.options.cell}: ${message}` });
  });
  // Every model is registered before the first cell asks for a server: the pool gives each model its first server
  // before any model a second one, so the model whose cells happen to be built first cannot take every spare GPU
  // (bench item 6 saw one model take 7 of 8 GPUs for a few seconds of work each while five waited).
  for (const g of planned) backends.register(g.spec, g.cells.length);
  const runGroup = async ({ spec, cells }: Group) => {
    await Promise.all(
      cells.map(async (c) => {
        const lines: string[] = [];
        const log = (line: string) => {
          lines.push(line);
          console.log(line);
        };
        noteExecution(c.options);
        let backend: Backend | undefined;
        const cellSpec = c.adapter ? { ...spec, requestModel: c.adapter.name, adapterDigest: c.adapter.digest } : spec;
        try {
          if (signal.aborted) throw signal.reason;
          const opened = backends.open(cellSpec, c.input, c.options);
          backend = opened.backend;
          await runCell({ ...c.input, backend, services: opened.services, log, signal });
          push({ task: c.task, success: true, terminalOutput: lines.join('\n') + '\n' });
        } catch (e) {
          const msg = isUserFacingError(e) ? (e as Error).message : (e as Error).stack ?? String(e);
          console.error(`${c.options.pipeline}:${c.options.cell}: ${msg}`);
          push({ task: c.task, success: false, terminalOutput: [...lines, msg].join('\n') });
        } finally {
          // A failure to stop or hand back a server must not end the batch: the other cells still report.
          await backend?.close().catch((e: unknown) => console.error(`${c.options.pipeline}:${c.options.cell}: closing its backend failed: ${describe(e)}`));
        }
      }),
    );
  };
  // Every task gets a result even if something outside a cell throws: Nx reports a batch that ends early only as
  // "their batch ended before reaching them" and drops the worker's own error, so the reason must reach each task.
  let done = false;
  let stopped: unknown;
  const all = Promise.all(planned.map(runGroup))
    .catch((e: unknown) => {
      stopped = e;
    })
    .then(() => backends.closeAll())
    .catch((e: unknown) => console.error(`evalgraph: stopping the servers failed: ${describe(e)}`))
    .finally(() => {
      done = true;
      wake?.();
    });
  let yielded = 0;
  while (true) {
    while (yielded < results.length) yield results[yielded++];
    if (done) break;
    await new Promise<void>((r) => (wake = r));
    wake = undefined;
  }
  await all;
  if (stopped !== undefined) {
    const msg = `not finished: the batch stopped (${describe(stopped)})`;
    console.error(`evalgraph: ${msg}`);
    const reported = new Set(results.map((r) => r.task));
    for (const t of tasks) if (!reported.has(t.task)) push({ task: t.task, success: false, terminalOutput: msg });
  }
  while (yielded < results.length) yield results[yielded++];
}

function describe(e: unknown): string {
  return isUserFacingError(e) ? (e as Error).message : e instanceof Error ? (e.stack ?? e.message) : String(e);
}

/** Test hook: EVALGRAPH_EXEC_LOG names a file that gets one line per cell actually executed (not restored). */
function noteExecution(o: CellOptions): void {
  const file = process.env.EVALGRAPH_EXEC_LOG;
  if (!file) return;
  mkdirSync(dirname(file), { recursive: true });
  appendFileSync(file, `${o.pipeline}:${o.cell}\n`);
}
