import { loadNamed } from '@evalgraph/core';
import { join } from 'node:path';
import { mergedVllmFlags, outputAffectingArgs, requestCacheKey, vllmCacheRuntime, vllmRuntimeVersion } from '@evalgraph/inference';
import { STANDIN_DIR } from './chaos-workspace';

/**
 * Maps a request body the stand-in logged to its request-cache key, the way libs/inference computes it for a
 * vLLM cell of `model` with `preset` on `gpu` (sample index = seed − base seed). The chaos tests check the
 * mapping itself: after a complete run every logged body's key must be in the cache.
 */
export function requestKeyOf(root: string, modelName: string, presetName: string, gpuName: string, baseSeed = 0): (body: Record<string, unknown>) => string {
  const model = loadNamed(root, 'model', modelName);
  const preset = loadNamed(root, 'preset', presetName);
  const gpu = loadNamed(root, 'gpu', gpuName);
  const runtime = vllmCacheRuntime(vllmRuntimeVersion(join(STANDIN_DIR, 'vllm')));
  const serverArgs = outputAffectingArgs(mergedVllmFlags({ modelName, model, preset, gpu, workspaceRoot: root, port: 0, logitsProcessors: [] }));
  return (body) =>
    requestCacheKey({ model: { hf_id: model.hf_id, revision: model.revision }, runtime, serverArgs, body, sampleIndex: Number(body.seed) - baseSeed });
}
