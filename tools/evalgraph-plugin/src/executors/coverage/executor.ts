import type { ExecutorContext } from '@nx/devkit';
import { join } from 'node:path';
import { CONFIG_PATHS, ConfigError, listConfigs, loadNamed, missingConfigHint, writeFileAtomic } from '@evalgraph/core';
import { detectCapacity, runCoverage, ServerPool, type CoverageResult } from '@evalgraph/inference';
import { reportError } from '../../shared/report-error';

/**
 * The model coverage check, per preset: load, warm up, generate, tokens/s against 100, peak GPU memory against
 * 80%, memory released after shutdown. Without a GPU every result says "not measured: no GPU", never passed;
 * the task still succeeds then, so CI without a GPU is not red for it, and the readiness gate reports it.
 */
export default async function coverageExecutor(options: { model: string; presets: string[]; gpu: string }, context: ExecutorContext): Promise<{ success: boolean }> {
  const root = context.root;
  const pool = new ServerPool({ workspaceRoot: root, log: (l) => console.log(l) });
  try {
    const model = loadNamed(root, 'model', options.model);
    // Every named preset is checked before the first server starts, so a typo in the last one costs no GPU time.
    const known = listConfigs(root, 'preset');
    const presets = options.presets.map((name) => [name, loadNamed(root, 'preset', knownPreset(name, known))] as const);
    // As in evaluate: the lease and the memory check count the GPUs nvidia-smi finds ($CUDA_VISIBLE_DEVICES honoured).
    const cap = await detectCapacity(loadNamed(root, 'gpu', options.gpu), options.gpu);
    if (cap.note) console.log(cap.note);
    const gpu = cap.gpu;
    const results: CoverageResult[] = [];
    for (const [presetName, preset] of presets) {
      const spec = {
        key: `coverage|${options.model}|${presetName}|${options.gpu}`,
        modelName: options.model,
        model,
        preset,
        presetName,
        gpu,
        gpuName: options.gpu,
        ...(cap.devices && { gpuDevices: cap.devices }),
        backend: model.endpoint ? ('endpoint' as const) : ('vllm' as const),
        englishOnly: false,
        workspaceRoot: root,
        logFile: join(root, 'results', 'models', options.model, 'coverage', `${presetName}.server.log`),
      };
      const r = await runCoverage({ spec, pool });
      results.push(r);
      writeFileAtomic(join(root, 'results', 'models', options.model, 'coverage', `${presetName}.json`), JSON.stringify(r, null, 2) + '\n');
      const tps = r.checks.generate.tokensPerSecond;
      const mem = r.checks.memory.fraction;
      console.log(`${options.model} × ${presetName} on ${options.gpu}: ${r.status} — ${r.reason}`);
      const load = r.checks.load;
      if (load.seconds !== null) console.log(`  load ${load.seconds.toFixed(1)} s, ${load.cache === 'unknown' || !load.cache ? 'compile cache unknown (no storage path; docs/storage.md)' : `${load.cache} start (VLLM_CACHE_ROOT on the storage path ${load.cache === 'warm' ? 'filled by an earlier start' : 'empty'})`}`);
      console.log(`  tok/s ${tps === null ? 'not measured' : tps.toFixed(0)} (≥ ${r.checks.generate.thresholdTokensPerSecond}), peak memory ${mem === null ? 'not measured' : `${(mem * 100).toFixed(0)}%`} (< ${(r.checks.memory.thresholdFraction * 100).toFixed(0)}%), shutdown ${r.checks.shutdown.status}`);
    }
    return { success: results.every((r) => r.status !== 'failed') };
  } catch (e) {
    reportError(e, `model ${options.model}`);
    return { success: false };
  } finally {
    await pool.closeAll();
  }
}

/** The preset name itself when configs/presets has it; a ConfigError naming `--presets` and the known ones otherwise. */
function knownPreset(name: string, known: string[]): string {
  if (known.includes(name)) return name;
  throw new ConfigError([
    {
      file: CONFIG_PATHS.preset(name),
      field: '--presets',
      expected: `a preset under configs/presets (${known.join(', ') || 'none exist'})`,
      found: `"${name}"`,
      hint: missingConfigHint('preset', name, known),
    },
  ]);
}
