import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { freePort } from '@evalgraph/inference';
import { STANDIN_DIR } from './chaos-workspace';
import { waitUntil } from './processes';

/** A stand-in started by the test as an existing OpenAI-compatible endpoint (a judge, an `endpoint:` model). */
export interface EndpointStandin {
  url: string;
  port: number;
  stop(): Promise<void>;
}

/** Starts the stand-in serving `name` on a free port, in its own process group; resolves once it answers. */
export async function startEndpointStandin(name: string, env: Record<string, string> = {}): Promise<EndpointStandin> {
  const port = await freePort();
  const child = spawn(process.execPath, [join(STANDIN_DIR, 'vllm'), 'serve', name, '--host', '127.0.0.1', '--port', String(port), '--served-model-name', name], {
    detached: true,
    stdio: 'ignore',
    env: { ...process.env, STANDIN_LOAD_DELAY_MS: '0', ...env },
  });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  let up = false;
  await waitUntil(() => {
    void fetch(`http://127.0.0.1:${port}/v1/models`).then((r) => (up = r.ok), () => undefined);
    return up;
  }, 15_000, 100);
  if (!up) throw new Error(`the endpoint stand-in for ${name} did not start`);
  return {
    url: `http://127.0.0.1:${port}/v1`,
    port,
    async stop() {
      try {
        process.kill(-child.pid!, 'SIGKILL'); // the server and its "EngineCore" child
      } catch {
        // already gone
      }
      await exited;
    },
  };
}
