import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import path from 'node:path';

const children = new Set<ChildProcess>();

/** Kills every child this benchmark started (by pid, never by name), e.g. on Ctrl-C or an error. */
export function killChildren(): void {
  for (const c of children) {
    if (c.exitCode === null && c.signalCode === null && c.pid) {
      try {
        process.kill(-c.pid, 'SIGKILL');
      } catch {
        try {
          c.kill('SIGKILL');
        } catch {
          // already gone
        }
      }
    }
  }
  children.clear();
}

process.once('exit', killChildren);
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, () => {
    killChildren();
    process.exit(sig === 'SIGINT' ? 130 : 143);
  });
}

/** Spawns a child in its own process group and remembers it so it never outlives the benchmark. */
export function track(cmd: string, args: string[], opts: SpawnOptions = {}): ChildProcess {
  const child = spawn(cmd, args, { detached: true, ...opts });
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

/** A running zero-latency server: its port and how to stop it. */
export interface LocalServer {
  port: number;
  url: string;
  pid: number;
  stop(): Promise<void>;
  /** Requests answered since the last reset, and when the first and last arrived (ms since epoch). */
  stats(reset?: boolean): Promise<{ requests: number; first_ms: number | null; last_ms: number | null }>;
}

/** Starts bench/servers/zero-latency.js on a free (or the given) port and waits until it listens. */
export function startZeroLatency(port = 0): Promise<LocalServer> {
  const script = path.join(__dirname, '..', 'servers', 'zero-latency.js');
  const child = track(process.execPath, [script, '--port', String(port)], { stdio: ['pipe', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let buf = '';
    const onData = (d: Buffer) => {
      buf += d.toString();
      const m = /listening (\d+)/.exec(buf);
      if (!m) return;
      child.stdout?.off('data', onData);
      child.stdout?.resume();
      const p = Number(m[1]);
      const url = `http://127.0.0.1:${p}`;
      resolve({
        port: p,
        url,
        pid: child.pid ?? -1,
        stop: () =>
          new Promise<void>((r) => {
            if (child.exitCode !== null) return r();
            child.once('exit', () => r());
            child.kill('SIGTERM');
          }),
        stats: async (reset = false) => (await (await fetch(`${url}/stats${reset ? '?reset=1' : ''}`)).json()) as { requests: number; first_ms: number | null; last_ms: number | null },
      });
    };
    child.stdout?.on('data', onData);
    child.once('exit', (code) => reject(new Error(`zero-latency server exited with ${code} before listening`)));
  });
}

/** Runs a command to completion; resolves with exit status, output and wall seconds (never rejects on exit codes). */
export function runTimed(cmd: string, args: string[], opts: SpawnOptions & { timeoutMs?: number } = {}): Promise<{ status: number; out: string; seconds: number; startedAt: number }> {
  return new Promise((resolve, reject) => {
    const startedAt = Date.now();
    const t0 = process.hrtime.bigint();
    const child = track(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], ...opts });
    let out = '';
    child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
    const timer = opts.timeoutMs
      ? setTimeout(() => {
          out += `\n[bench] killed after ${opts.timeoutMs} ms\n`;
          if (child.pid) process.kill(-child.pid, 'SIGKILL');
        }, opts.timeoutMs)
      : null;
    child.once('error', reject);
    child.once('close', (code, signal) => {
      if (timer) clearTimeout(timer);
      resolve({ status: code ?? (signal ? 128 : -1), out, seconds: Number(process.hrtime.bigint() - t0) / 1e9, startedAt });
    });
  });
}
