import type { ExecutorContext } from '@nx/devkit';
import { join } from 'node:path';
import { checkFit, ConfigError, loadNamed, writeFileAtomic, type FitReport } from '@evalgraph/core';
import { buildVllmServeArgs, vllmSetup, vllmVersionCheck, VllmFlagsUnsupportedError } from '@evalgraph/inference';
import { reportError } from '../../shared/report-error';

interface Combination {
  preset: string;
  gpu: string;
  fit: FitReport;
  args: string[] | null;
  argsError: string | null;
}

/** Checks one model against every preset × GPU profile: schema, the vLLM command line, and memory fit. */
export default async function validateExecutor(options: { model: string; presets: string[]; gpus: string[] }, context: ExecutorContext): Promise<{ success: boolean }> {
  const root = context.root;
  try {
    const model = loadNamed(root, 'model', options.model);
    // The installed vLLM's own flag list (its `vllm serve --help=all`, cached per version); the frozen 0.11 list without one.
    const setup = vllmSetup({ workspaceRoot: root, englishOnly: false });
    const versionCheck = vllmVersionCheck(setup.version);
    const rows: Combination[] = [];
    for (const presetName of options.presets) {
      const preset = loadNamed(root, 'preset', presetName);
      for (const gpuName of options.gpus) {
        const gpu = loadNamed(root, 'gpu', gpuName);
        const fit = checkFit(model.architecture, preset, gpu);
        let args: string[] | null = null;
        let argsError: string | null = null;
        try {
          args = buildVllmServeArgs({ workspaceRoot: root, modelName: options.model, model, preset, gpu, port: 8000, flags: setup.flags });
        } catch (e) {
          if (!(e instanceof ConfigError) && !(e instanceof VllmFlagsUnsupportedError)) throw e;
          argsError = e.message;
        }
        rows.push({ preset: presetName, gpu: gpuName, fit, args, argsError });
      }
    }
    const f = (x: number) => x.toFixed(1);
    console.log(`model ${options.model} (${model.hf_id}@${model.revision.slice(0, 8)})`);
    console.log(`vLLM: ${versionCheck.detail}; flags checked against ${setup.flags.label}`);
    if (versionCheck.fix) console.warn(`warning: ${versionCheck.fix}`);
    console.log('preset            gpu           weights GiB  KV GiB  KV B/token  max_len  max seqs  result');
    for (const r of rows) {
      const res = r.argsError ? 'FAIL (vLLM args)' : r.fit.fits ? 'ok' : `FAIL: ${r.fit.reason}`;
      console.log(
        `${r.preset.padEnd(18)}${r.gpu.padEnd(14)}${f(r.fit.weightsGiB).padStart(11)}  ${f(r.fit.kvCacheGiB).padStart(6)}  ${String(r.fit.kvBytesPerToken).padStart(10)}  ${String(r.fit.maxModelLen).padStart(7)}  ${String(r.fit.maxConcurrentSequences).padStart(8)}  ${res}`,
      );
      if (r.argsError) console.error(r.argsError);
    }
    const ok = rows.every((r) => r.fit.fits && !r.argsError);
    writeFileAtomic(join(root, 'results', 'models', options.model, 'validate.json'), JSON.stringify({ model: options.model, ok, vllm: { version: setup.version, range: versionCheck.status, flags: setup.flags.label }, combinations: rows }, null, 2) + '\n');
    if (!ok) console.error(`model ${options.model}: ${rows.filter((r) => !r.fit.fits || r.argsError).length} of ${rows.length} preset × GPU combinations do not work (see above)`);
    return { success: ok };
  } catch (e) {
    reportError(e, `model ${options.model}`);
    return { success: false };
  }
}
