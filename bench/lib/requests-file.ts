import { writeFileSync } from 'node:fs';
import { benchCellInput, gsm8kRequests } from './cell-input';

/** Writes the GSM8K test-split requests (and the model/preset they go with) that the throughput workers replay. */
export function writeRequestsFile(root: string, file: string): { bytesPerBody: number; distinct: number } {
  const input = benchCellInput(root, { model: 'qwen3-8b', preset: 'balanced', dataset: 'gsm8k', sampleLimit: 1319, backend: 'endpoint' });
  const requests = gsm8kRequests(input, input.records.length);
  const mode = input.model.modes[input.modeName];
  const maxTokens = input.dataset.max_tokens ?? mode.max_tokens;
  writeFileSync(file, JSON.stringify({ model: input.model, preset: input.preset, gpu: input.gpu, modeName: input.modeName, maxTokens, requests }));
  const r0 = requests[0];
  const bytesPerBody = r0.kind === 'chat' ? Buffer.byteLength(JSON.stringify(r0.messages)) : 0;
  return { bytesPerBody, distinct: requests.length };
}
