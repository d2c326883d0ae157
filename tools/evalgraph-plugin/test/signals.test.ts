import { fork } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

describe('signal handling of a worker forked by nx', () => {
  it('when nx goes away, a report sent into the closed channel does not end the worker before its cleanup', async () => {
    const child = fork(join(__dirname, 'fixtures', 'orphan-worker.ts'), [], {
      execArgv: ['-r', '@swc-node/register'],
      cwd: join(__dirname, '..'),
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    let out = '';
    child.stdout?.on('data', (d) => (out += d));
    child.stderr?.on('data', (d) => (out += d));
    await new Promise<void>((resolve) => child.once('message', () => resolve()));
    // What the worker sees when nx is SIGKILLed: no signal, only the channel closing.
    child.disconnect();
    const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
    expect(out).not.toMatch(/ERR_IPC_CHANNEL_CLOSED|EPIPE/);
    expect(out).toContain('cleanup finished');
    expect(code).toBe(0);
  }, 30_000);
});
