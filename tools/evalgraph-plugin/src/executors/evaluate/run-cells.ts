import { appendFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { ConfigError, isUserFacingError } from '@evalgraph/core';
import { runCell, runsSandboxedCode, sandboxPreflight, type CellInput } from '@evalgraph/scoring';
import type { CellOptions } from '../../nodes/pipeline-project';
import { loadCell } from './load-cell';
import { createBackends, serverSpec } from './backends';
import { readAdapter, serverLora, type AdapterInfo } from './adapters';
import { tuneHeapForEvaluation } from '../../shared/heap-tuning';

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
  const groups = new Map<string, Loaded[]>();
  for (const l of noSandbox ? loaded.filter((x) => !coded.includes(x)) : loaded) {
    const k = serverSpec(root, l.input, l.options).key;
    groups.set(k, [...(groups.get(k) ?? []), l]);
  }
  const backends = createBackends(root, signal);
  const runGroup = async (cells: Loaded[]) => {
    // One server for the base model and every adapter its cells ask for (cells of one model share the key).
    const lora = serverLora(cells.flatMap((c) => (c.adapter ? [c.adapter] : [])));
    const spec = { ...serverSpec(root, cells[0].input, cells[0].options), ...(lora && { lora }) };
    backends.register(spec, cells.length);
    await Promise.all(
      cells.map(async (c) => {
        const lines: string[] = [];
        const log = (line: string) => {
          lines.push(line);
          console.log(line);
        };
        noteExecution(c.options);
        const cellSpec = c.adapter ? { ...spec, requestModel: c.adapter.name, adapterDigest: c.adapter.digest } : spec;
        const { backend, services } = backends.open(cellSpec, c.input, c.options);
        try {
          if (signal.aborted) throw signal.reason;
          await runCell({ ...c.input, backend, services, log, signal });
          push({ task: c.task, success: true, terminalOutput: lines.join('\n') + '\n' });
        } catch (e) {
          const msg = isUserFacingError(e) ? (e as Error).message : (e as Error).stack ?? String(e);
          console.error(`${c.options.pipeline}:${c.options.cell}: ${msg}`);
          push({ task: c.task, success: false, terminalOutput: [...lines, msg].join('\n') });
        } finally {
          await backend.close();
        }
      }),
    );
  };
  let done = false;
  const all = Promise.all([...groups.values()].map(runGroup)).finally(async () => {
    await backends.closeAll();
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
  while (yielded < results.length) yield results[yielded++];
}

/** Test hook: EVALGRAPH_EXEC_LOG names a file that gets one line per cell actually executed (not restored). */
function noteExecution(o: CellOptions): void {
  const file = process.env.EVALGRAPH_EXEC_LOG;
  if (!file) return;
  mkdirSync(dirname(file), { recursive: true });
  appendFileSync(file, `${o.pipeline}:${o.cell}\n`);
}
