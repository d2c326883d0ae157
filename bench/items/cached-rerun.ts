import path from 'node:path';
import type { Scratch } from '../../test/helpers/scratch-workspace';
import { runPromptfoo, writePromptfooConfig, promptfooCommand } from '../peers/promptfoo';
import type { LocalServer } from '../lib/proc';
import { row, type Row } from '../lib/results';
import { spread } from '../lib/stats';
import { nxFloor } from '../lib/nx-floor';
import { clearRunState, executedCount, nxCommand, nxEnv, nxTimed, saltCells, type PipelineShape } from '../lib/workspace';

export interface ItemOutput {
  rows: Row[];
  raw: Record<string, unknown>;
  commands: { what: string; command: string }[];
  notes: string[];
}

/**
 * Item 1: cold run, fully cached re-run, re-run after one dataset config changed, re-run after results/ was
 * deleted — against `nx show projects` on the same workspace — and promptfoo's cold and cached runs of the same
 * GSM8K samples against the same zero-latency server.
 */
export async function cachedRerun(ws: Scratch, shape: PipelineShape, server: LocalServer, o: { repeats: number; coldRepeats: number; promptfooDir: string; log: (s: string) => void }): Promise<ItemOutput> {
  const cells = shape.models.length * shape.presets.length * shape.datasets.length;
  const gsmCells = shape.models.length * shape.presets.length;
  const evaluate = ['run-many', '-t', 'evaluate', '-p', 'pipeline-bench', '--outputStyle=static'];
  const evaluateGsm = ['run-many', '-t', 'evaluate', '-p', 'cell-bench--*--gsm8k', '--outputStyle=static'];
  const show = ['show', 'projects'];
  const t: Record<string, number[]> = { show: [], cold: [], cached: [], cachedGsm: [], datasetChanged: [], resultsDeleted: [], showIso: [], cachedIso: [], floorShow: [], floorCached: [] };
  const executed: Record<string, number[]> = { cold: [], cached: [], cachedGsm: [], datasetChanged: [], resultsDeleted: [] };
  const run = async (key: keyof typeof executed, args: string[]) => {
    const before = executedCount(ws);
    const r = await nxTimed(ws, args);
    t[key].push(r.seconds);
    executed[key].push(executedCount(ws) - before);
    o.log(`  ${key}: ${r.seconds.toFixed(2)} s, ${executedCount(ws) - before} cells executed`);
    return r;
  };

  for (let i = 0; i < o.coldRepeats; i++) {
    saltCells(ws, `cold-${i}-${Date.now()}`);
    clearRunState(ws);
    const r = await run('cold', evaluate);
    if (executed.cold[i] !== cells) throw new Error(`cold run executed ${executed.cold[i]} of ${cells} cells:\n${r.out.slice(-2000)}`);
  }
  const requestsCold = (await server.stats(true)).requests;
  // Nx's own cost for as many cached tasks restoring the same files, in a workspace with no evalgraph in it: what
  // no change to evalgraph can take below (the 17 prepares, 306 cells, and the pipeline's check and evaluate).
  const outputDirs = [
    ...shape.datasets.map((d) => `.evalgraph/prepared/${d}`),
    ...shape.models.flatMap((m) => shape.presets.flatMap((p) => shape.datasets.map((d) => `results/bench/${m}--${p}/${p}/${d}`))),
  ];
  const floor = nxFloor(ws.root, outputDirs, 2, path.join(o.promptfooDir, '..', 'nx-floor'), () => nxEnv(ws));
  await floor.run(true);
  // Counted from the baseline's own output: the workspace also has the libs' package.json projects.
  let projects = 0;
  for (let i = 0; i < o.repeats; i++) {
    // Interleaved with its baseline so a change in machine load hits both alike.
    const s = await nxTimed(ws, show);
    t.show.push(s.seconds);
    projects = s.out.split('\n').filter((l) => /^[@\w][\w@./-]*$/.test(l.trim())).length;
    o.log(`  nx show projects: ${s.seconds.toFixed(2)} s`);
    await run('cached', evaluate);
    await run('cachedGsm', evaluateGsm);
    // The same two commands as before the root .env: Nx plugins in worker processes (an explicit variable wins over .env).
    const iso = { NX_ISOLATE_PLUGINS: 'true' };
    t.showIso.push((await nxTimed(ws, show, iso)).seconds);
    t.cachedIso.push((await nxTimed(ws, evaluate, iso)).seconds);
    o.log(`  NX_ISOLATE_PLUGINS=true: show ${t.showIso[i].toFixed(2)} s, cached ${t.cachedIso[i].toFixed(2)} s`);
    t.floorShow.push(await floor.show());
    t.floorCached.push(await floor.run());
    o.log(`  Nx floor (${floor.tasks} tasks): show ${t.floorShow[i].toFixed(2)} s, cached ${t.floorCached[i].toFixed(2)} s`);
  }
  const above = (a: number[], b: number[]) => a.map((x, i) => x - b[i]);
  for (let i = 0; i < o.repeats; i++) {
    // A change that alters every GSM8K request (so the request cache cannot answer): max_tokens 256 → 257, 258, ...
    ws.edit('configs/datasets/gsm8k/dataset.yaml', (y) => y.replace(/^max_tokens: \d+$/m, `max_tokens: ${257 + i}`));
    await run('datasetChanged', evaluate);
  }
  for (let i = 0; i < o.repeats; i++) {
    clearRunState(ws);
    await run('resultsDeleted', evaluate);
  }
  const requestsAfter = (await server.stats(true)).requests;

  // promptfoo on the same GSM8K samples (one provider per variant, one test per sample), cache on.
  const variants = shape.models.flatMap((model) => shape.presets.map((preset) => ({ model, preset })));
  const pfSame = writePromptfooConfig(ws.root, path.join(o.promptfooDir, 'same'), variants, shape.samples, server.url);
  const pfSmall = writePromptfooConfig(ws.root, path.join(o.promptfooDir, 'small'), variants, Math.max(1, Math.round(shape.samples / 10)), server.url);
  const pf: Record<string, number[]> = { cold: [], cached: [], smallCached: [] };
  const pfRps: number[] = [];
  let crashed = 0;
  const pfCachedSent: number[] = [];
  const pfConcurrency = 256;
  for (let i = 0; i < o.repeats; i++) {
    await server.stats(true);
    const c = await runPromptfoo(pfSame, { concurrency: pfConcurrency, cold: true });
    const st = await server.stats(true);
    if (st.first_ms && st.last_ms && st.requests > 1) pfRps.push((st.requests - 1) / ((st.last_ms - st.first_ms) / 1000));
    const w = await runPromptfoo(pfSame, { concurrency: pfConcurrency, cold: false });
    const sw = await server.stats(true);
    pfCachedSent.push(sw.requests);
    await runPromptfoo(pfSmall, { concurrency: pfConcurrency, cold: i === 0 });
    const s = await runPromptfoo(pfSmall, { concurrency: pfConcurrency, cold: false });
    pf.cold.push(c.seconds);
    pf.cached.push(w.seconds);
    pf.smallCached.push(s.seconds);
    crashed += [c, w, s].filter((x) => x.crashedAfterComplete).length;
    o.log(`  promptfoo ${pfSame.tests * pfSame.providers} evaluations: cold ${c.seconds.toFixed(2)} s, cached ${w.seconds.toFixed(2)} s; ${pfSmall.tests * pfSmall.providers}: cached ${s.seconds.toFixed(2)} s`);
  }
  const nSame = pfSame.tests * pfSame.providers;
  const nSmall = pfSmall.tests * pfSmall.providers;
  const totalSamples = cells * shape.samples;
  // promptfoo on as many samples as the whole grid (GSM8K prompts stand in for every dataset), once: minutes per run.
  const pfFull = writePromptfooConfig(ws.root, path.join(o.promptfooDir, 'full'), variants, Math.ceil(totalSamples / variants.length), server.url);
  const nFull = pfFull.tests * pfFull.providers;
  // promptfoo may not get through this many (it is the peer, not the product): then the extrapolation carries the target.
  let full: { cold: number; cached: number } | { failed: string };
  try {
    const fullCold = await runPromptfoo(pfFull, { concurrency: pfConcurrency, cold: true });
    const fullCached = await runPromptfoo(pfFull, { concurrency: pfConcurrency, cold: false });
    crashed += [fullCold, fullCached].filter((x) => x.crashedAfterComplete).length;
    full = { cold: fullCold.seconds, cached: fullCached.seconds };
    o.log(`  promptfoo ${nFull} evaluations: cold ${full.cold.toFixed(2)} s, cached ${full.cached.toFixed(2)} s`);
  } catch (e) {
    full = { failed: (e as Error).message.split('\n')[0] };
    o.log(`  promptfoo ${nFull} evaluations: ${full.failed}`);
  }
  // promptfoo's cached time as fixed + per-evaluation cost (two sizes, same repeat), extrapolated to every sample of the grid.
  const pfExtrapolated = pf.cached.map((big, i) => {
    const per = (big - pf.smallCached[i]) / (nSame - nSmall);
    return pf.smallCached[i] + per * (totalSamples - nSmall);
  });

  // Issue 16's targets; the workspace has the repository's root .env (plugins in-process), as a user's clone does.
  const tgtShow = { op: '<=' as const, bound: 1.2, text: '≤ 1.2× `nx show projects`' };
  const tgtGsm = { op: '<=' as const, bound: 0.2, text: '≤ 0.2× promptfoo cached re-run of the same samples' };
  const tgtPf = { op: '<=' as const, bound: 0.1, text: '≤ 0.1× promptfoo cached re-run of the same samples' };
  const base = { name: '`nx show projects` (same workspace)', values: t.show };
  const rows: Row[] = [
    row({ item: '1', name: `\`nx show projects\` (${projects} projects)`, unit: 's', values: t.show, note: 'baseline: graph construction only; root .env: NX_ISOLATE_PLUGINS=false' }),
    row({ item: '1', name: `cold run, ${cells} cells × ${shape.samples} samples (${requestsCold / o.coldRepeats} requests)`, unit: 's', values: t.cold, baseline: base, note: `datasets already prepared; fresh request cache; ${o.coldRepeats} repeat(s)` }),
    row({ item: '1', name: `fully cached re-run (${cells} cells)`, unit: 's', values: t.cached, baseline: base, target: tgtShow }),
    row({ item: '1', name: `Nx's floor: a bare workspace with ${floor.tasks} cached tasks restoring the same ${floor.files} files (${(floor.bytes / 1e6).toFixed(0)} MB)`, unit: 's', values: t.floorCached, baseline: { name: "`nx show projects` in the bare workspace", values: t.floorShow }, note: 'no evalgraph: run-commands targets, no dependencies, no runtime inputs; only Nx restoring outputs and reporting' }),
    row({ item: '1', name: 'fully cached re-run above `nx show projects`, vs the floor above its own', unit: 's', values: above(t.cached, t.show), baseline: { name: 'the floor: cached run above `nx show projects`', values: above(t.floorCached, t.floorShow) }, note: 'the task phase only: what Nx adds to graph construction when every task is a cache hit' }),
    row({ item: '1', name: 'derived: the best any change to evalgraph could reach, `nx show projects` plus the floor\'s task phase', unit: 's', values: t.show.map((x, i) => x + t.floorCached[i] - t.floorShow[i]), baseline: base, note: 'not a run: this workspace\'s graph time with Nx\'s own cost of restoring the same tasks added' }),
    row({ item: '1', name: 'fully cached re-run vs the same with plugins in worker processes (NX_ISOLATE_PLUGINS=true, before the root .env)', unit: 's', values: t.cached, baseline: { name: 'fully cached re-run, NX_ISOLATE_PLUGINS=true', values: t.cachedIso } }),
    row({ item: '1', name: '`nx show projects` vs the same with NX_ISOLATE_PLUGINS=true', unit: 's', values: t.show, baseline: { name: '`nx show projects`, NX_ISOLATE_PLUGINS=true', values: t.showIso } }),
    row({ item: '1', name: 'fully cached re-run vs `nx show projects`, both with NX_ISOLATE_PLUGINS=true (before)', unit: 's', values: t.cachedIso, baseline: { name: '`nx show projects` with NX_ISOLATE_PLUGINS=true', values: t.showIso } }),
    ...('failed' in full
      ? [row({ item: '1', name: 'fully cached re-run vs promptfoo cached re-run of the same samples (all grid samples; promptfoo extrapolated)', unit: 's', values: t.cached, baseline: { name: `promptfoo cached, ${totalSamples} evaluations (extrapolated from ${nSmall} and ${nSame})`, values: pfExtrapolated }, target: tgtPf, note: `promptfoo did not complete a measured run of ${nFull}: ${full.failed}` })]
      : [
          row({ item: '1', name: `fully cached re-run vs promptfoo cached re-run of as many samples (${nFull}, measured)`, unit: 's', values: t.cached, baseline: { name: `promptfoo cached, ${nFull} evaluations (1 run)`, values: [full.cached] }, target: tgtPf, note: `promptfoo cold on the same: ${full.cold.toFixed(1)} s` }),
          row({ item: '1', name: 'same, promptfoo extrapolated from its smaller runs (check of the line above)', unit: 's', values: t.cached, baseline: { name: `promptfoo cached, ${totalSamples} evaluations (extrapolated from ${nSmall} and ${nSame})`, values: pfExtrapolated } }),
        ]),
    row({ item: '1', name: `cached re-run of the ${gsmCells} GSM8K cells (${gsmCells * shape.samples} samples)`, unit: 's', values: t.cachedGsm, baseline: { name: `promptfoo cached re-run, same ${nSame} GSM8K samples (measured)`, values: pf.cached }, target: tgtGsm }),
    row({ item: '1', name: `re-run after one dataset config changed (${gsmCells} cells re-run)`, unit: 's', values: t.datasetChanged, baseline: base }),
    row({ item: '1', name: `re-run after results/ deleted (${cells} cells restored)`, unit: 's', values: t.resultsDeleted, baseline: base }),
    row({ item: '1', name: `promptfoo cold, ${nSame} GSM8K evaluations, -j ${pfConcurrency}`, unit: 's', values: pf.cold, baseline: base }),
    row({ item: '1', name: `promptfoo cached re-run, ${nSame} GSM8K evaluations`, unit: 's', values: pf.cached, baseline: base }),
  ];
  const notes = [
    `Item 1 uses \`backend: endpoint\` models (every model.yaml gets \`endpoint: ${server.url}/v1\`) and the zero-latency server as MT-Bench judge; code datasets run their samples in the real sandbox.`,
    `Cells executed per scenario (from EVALGRAPH_EXEC_LOG): cold ${executed.cold.join('/')}, cached ${executed.cached.join('/')}, GSM8K-only cached ${executed.cachedGsm.join('/')}, dataset changed ${executed.datasetChanged.join('/')}, results deleted ${executed.resultsDeleted.join('/')}. Requests reaching the server after the cold runs: ${requestsAfter} (the dataset-changed re-runs only).`,
    `promptfoo's cached run over as many evaluations as the grid has samples is measured once (minutes a run); the check row extrapolates its cached time as fixed + per-evaluation, measured at ${nSmall} and ${nSame} evaluations in the same repeat and extrapolated linearly to the grid's ${totalSamples} samples (promptfoo cannot score log-likelihood tasks; GSM8K chat prompts stand in for every sample).`,
    `The floor workspace has ${floor.tasks} projects: one per output folder of the grid's cached run (${outputDirs.length}: the prepared datasets and the cells), each copying that folder's files into its output, and 2 with no outputs (check and the pipeline target). Its cached run is what Nx itself costs for the same tasks and files; \`nx show projects\` there costs less than in the bench workspace, which also runs the evalgraph plugin.`,
    `Requests promptfoo's cached re-runs still sent to the server: ${pfCachedSent.join('/')} (of ${nSame}).`,
    ...(crashed ? [`promptfoo exited non-zero after printing "Eval complete" in ${crashed} run(s) (a logger "write after end" crash at exit); those runs had finished every evaluation and count.`] : []),
  ];
  return {
    rows,
    raw: { seconds: t, executed, promptfoo: { ...pf, full: { evaluations: nFull, ...full }, extrapolated: pfExtrapolated, evaluations: { same: nSame, small: nSmall }, rps_cold_server_side: pfRps }, requestsCold, requestsAfter, promptfooRps256: spread(pfRps) },
    commands: [
      { what: 'baseline', command: nxCommand(show) },
      { what: 'cold / cached / dataset changed / results deleted', command: nxCommand(evaluate) },
      { what: 'the same with plugins in worker processes (before the root .env)', command: `NX_ISOLATE_PLUGINS=true ${nxCommand(show)} ; NX_ISOLATE_PLUGINS=true ${nxCommand(evaluate)}` },
      { what: "Nx's floor (bare workspace next to the bench's, one run-commands project per output folder)", command: 'npx nx show projects ; npx nx run-many -t t --outputStyle=static' },
      { what: 'GSM8K cells only (same samples as promptfoo)', command: `npx nx run-many -t evaluate -p 'cell-bench--*--gsm8k' --outputStyle=static` },
      { what: 'promptfoo cold (cache deleted first) and cached', command: promptfooCommand(pfConcurrency, true) },
    ],
    notes,
  };
}
