import type { Plan } from './build-plan';

/** Seconds as the plan prints them: s below 2 minutes, min below 2 hours, h above. */
export function duration(s: number): string {
  if (s < 120) return `${s.toFixed(1)} s`;
  if (s < 7200) return `${(s / 60).toFixed(1)} min`;
  return `${(s / 3600).toFixed(2)} h`;
}

/** The plan as a person reads it in a terminal. */
export function formatPlan(p: Plan): string {
  const out: string[] = [`evalgraph plan: nx ${p.command.join(' ')}`];
  const c = p.cells;
  if (c.total === 0 && p.otherTasks.run.length === 0 && p.otherTasks.cached === 0) {
    out.push('nx selects no task for these arguments (check the -t target and the -p projects or tags)');
    return out.join('\n');
  }
  out.push(`cells: ${c.run} of ${c.total} would run, ${c.cached} restored from the Nx cache${c.fromRemoteCache ? ` (${c.fromRemoteCache} of them from the remote cache)` : ''}`);
  const width = Math.max(0, ...p.executes.map((e) => e.task.length));
  for (const e of p.executes) {
    const gpu = e.estimate.gpuS === null ? '' : `~${duration(e.estimate.gpuS)} GPU, `;
    out.push(`  ${e.task.padEnd(width)}  ${e.why}; ${gpu}${e.estimate.basis}`);
  }
  if (p.servers.length) {
    out.push(`servers that would start: ${p.servers.length}`);
    for (const s of p.servers) {
      out.push(`  ${s.kind} ${s.model} (${s.preset}, ${s.gpu}${s.englishOnly ? ', English-only' : ''}): ${s.cells} cell${s.cells === 1 ? '' : 's'}, ${s.gpuS === null ? 'GPU time partly unknown' : `~${duration(s.gpuS)} GPU`}`);
    }
  } else out.push('servers that would start: none');
  for (const g of p.gpuTime) {
    if (g.cellsWithoutEstimate === g.cells) {
      out.push(`GPU time on ${g.profile}: no estimate for any of its ${g.cells} cells (see above)`);
      continue;
    }
    const unknown = g.cellsWithoutEstimate ? ` (+ ${g.cellsWithoutEstimate} cell${g.cellsWithoutEstimate === 1 ? '' : 's'} without an estimate)` : '';
    out.push(`GPU time on ${g.profile}: ~${duration(g.oneGpuS)} on 1 GPU; ~${duration(g.profileGpusS)} wall on its ${g.gpus} GPU${g.gpus === 1 ? '' : 's'} (${g.servers} server${g.servers === 1 ? '' : 's'}${g.gpus === 1 ? ', one at a time' : ', side by side, longest first'})${unknown}; server start-up not included`);
  }
  if (p.otherTasks.run.length) out.push(`other tasks that would run: ${p.otherTasks.run.map((t) => t.task).join(', ')}`);
  if (p.historyUnreadable.length) out.push(`(unreadable results ignored for the estimate: ${p.historyUnreadable.join(', ')})`);
  return out.join('\n');
}
