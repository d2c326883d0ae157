import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MissingDependencyError } from '@evalgraph/core';
import { checkSandboxAvailable, createSandbox, findSandboxTools, liveSandboxProcesses, type RunResult } from '../src';
import { which } from '../src/which';

const HAVE_BWRAP = which('bwrap') !== null;
const IS_ROOT = process.getuid?.() === 0;

/** Live processes whose command line mentions `needle` (other than this test process). */
function processesMatching(needle: string): string[] {
  const found: string[] = [];
  for (const pid of readdirSync('/proc').filter((n) => /^\d+$/.test(n))) {
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
      const state = /^State:\s+(\S)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
      if (cmd.includes(needle) && state !== 'Z' && Number(pid) !== process.pid) found.push(`${pid}: ${cmd}`);
    } catch {
      // gone
    }
  }
  return found;
}

describe('sandbox availability', () => {
  it('says how to install bubblewrap when it is missing, and never falls back silently', async () => {
    expect(() => findSandboxTools({ bwrap: 'no-such-bwrap-binary' })).toThrow(MissingDependencyError);
    expect(() => findSandboxTools({ bwrap: 'no-such-bwrap-binary' })).toThrow(/apt-get install bubblewrap/);
    const sb = createSandbox({ bwrap: 'no-such-bwrap-binary' });
    await expect(sb.run('print(1)')).rejects.toThrow(/bubblewrap \(bwrap\) is not installed/);
  });

  it('runs unsandboxed only when asked explicitly, with a loud warning', async () => {
    const warnings: string[] = [];
    const sb = createSandbox({ bwrap: 'no-such-bwrap-binary', allowUnsandboxed: true, warn: (l) => warnings.push(l) });
    const r = await sb.run('print(6 * 7)', { timeoutMs: 20_000 });
    expect(r.sandboxed).toBe(false);
    expect(r.stdout.trim()).toBe('42');
    expect(warnings.join('\n')).toMatch(/WITHOUT a sandbox/);
    expect(await sb.describe()).toMatch(/^NONE/);
  });

  it.runIf(HAVE_BWRAP)('finds a working bubblewrap here', async () => {
    const env = await checkSandboxAvailable();
    expect(env.mode).toBe(IS_ROOT ? 'setpriv' : 'user');
  });
});

describe.runIf(HAVE_BWRAP)('sandboxed runs', () => {
  const sb = createSandbox({ concurrency: 4 });

  it('passes stdin, captures stdout, stderr, exit code and the fd 3 channel', async () => {
    const r = await sb.run('import os, sys\nprint(sys.stdin.read().upper())\nprint("to stderr", file=sys.stderr)\nos.write(3, b"verdict")\nsys.exit(3)', { stdin: 'hello', timeoutMs: 20_000 });
    expect(r).toMatchObject({ status: 'error', exitCode: 3, stdout: 'HELLO\n', stderr: 'to stderr\n', channel: 'verdict', sandboxed: true, leftoverKilled: 0 });
  });

  it('keeps the head and tail of endless output', async () => {
    const r = await sb.run('import sys\nsys.stdout.write("BEGIN" + "x" * 5_000_000 + "END")', { timeoutMs: 20_000 });
    expect(r.status).toBe('ok');
    expect(r.truncated.stdout).toBe(true);
    expect(r.stdout.startsWith('BEGIN')).toBe(true);
    expect(r.stdout.endsWith('END')).toBe(true);
    expect(r.stdout.length).toBeLessThan(70_000);
  });

  it('runs as an unprivileged user with an empty, fixed environment', async () => {
    process.env.HF_TOKEN = 'hf_canary_token_123';
    process.env.OPENAI_API_KEY = 'sk-canary-key-456';
    try {
      const r = await sb.run(
        [
          'import os, json',
          'env = dict(os.environ)',
          'blobs = []',
          'for p in ["/proc/self/environ", "/proc/1/environ"]:',
          '    try:',
          '        blobs.append(open(p, "rb").read().decode("latin1"))',
          '    except OSError as e:',
          '        blobs.append(repr(e))',
          'print(json.dumps({"uid": os.getuid(), "env": env, "blobs": blobs, "caps": open("/proc/self/status").read().split("CapEff:")[1].split()[0]}))',
        ].join('\n'),
        { timeoutMs: 20_000 },
      );
      expect(r.status).toBe('ok');
      expect(r.stdout).not.toContain('canary');
      const seen = JSON.parse(r.stdout) as { uid: number; env: Record<string, string>; caps: string };
      expect(Object.keys(seen.env).sort()).toEqual(['HOME', 'LANG', 'LC_ALL', 'MKL_NUM_THREADS', 'OMP_NUM_THREADS', 'OPENBLAS_NUM_THREADS', 'PATH', 'PWD', 'PYTHONDONTWRITEBYTECODE', 'PYTHONHASHSEED', 'PYTHONIOENCODING', 'TMPDIR']);
      expect(seen.uid).not.toBe(0);
      expect(seen.caps).toBe('0000000000000000');
    } finally {
      delete process.env.HF_TOKEN;
      delete process.env.OPENAI_API_KEY;
    }
  });
});

describe.runIf(HAVE_BWRAP)('hostile code fails only its own sample and leaves nothing behind', () => {
  const sb = createSandbox({ concurrency: 4, limits: { memoryBytes: 512 * 1024 * 1024 } });
  let hostHome: string;
  let server: Server;
  let port = 0;
  let connections = 0;
  const results = new Map<string, RunResult>();
  const normal: RunResult[] = [];

  beforeAll(async () => {
    // A stand-in for the user's home: a canary file and an ssh key the code must neither see nor delete.
    hostHome = mkdtempSync(path.join(tmpdir(), 'evalgraph-host-home-'));
    mkdirSync(path.join(hostHome, '.ssh'));
    writeFileSync(path.join(hostHome, '.ssh', 'id_rsa'), 'PRIVATE-KEY-CANARY');
    writeFileSync(path.join(hostHome, 'canary.txt'), 'still here');
    server = createServer((s) => {
      connections++;
      s.destroy();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    port = (server.address() as { port: number }).port;

    const home = JSON.stringify(hostHome);
    const hostile: Record<string, string> = {
      forkBomb: 'import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass',
      infiniteLoop: 'while True:\n    pass',
      memoryHog: 'blocks = []\nwhile True:\n    blocks.append(bytearray(64 * 1024 * 1024))',
      hugeFile: 'with open("/tmp/big", "wb") as f:\n    while True:\n        f.write(b"x" * (1 << 20))',
      fillTmp: 'i = 0\nwhile True:\n    with open(f"/tmp/f{i}", "wb") as f:\n        f.write(b"x" * (8 << 20))\n    i += 1',
      rmRf: `import subprocess, shutil, os\nsubprocess.run(["rm", "-rf", "--no-preserve-root", "/"])\nsubprocess.run(["rm", "-rf", os.path.expanduser("~"), ${home}, "/root", "/home", "/work"])\nshutil.rmtree("/usr", ignore_errors=True)\nprint("survived")`,
      readSsh: `import os\nfor p in [${JSON.stringify(path.join(hostHome, '.ssh', 'id_rsa'))}, os.path.expanduser("~/.ssh/id_rsa"), "/root/.ssh/id_rsa", "/etc/shadow"]:\n    try:\n        print(open(p).read())\n    except OSError as e:\n        print("denied", p, type(e).__name__)\nraise SystemExit(1)`,
      socket: `import socket\nfor addr in [("127.0.0.1", ${port}), ("1.1.1.1", 53), ("8.8.8.8", 443)]:\n    s = socket.socket()\n    s.settimeout(2)\n    try:\n        s.connect(addr)\n        print("CONNECTED", addr)\n    except OSError as e:\n        print("blocked", addr, type(e).__name__)\nraise SystemExit(1)`,
      writeOutside: `import os\nwrote = []\nfor p in ["/usr/evil", "/etc/evil", "/evil", "/work/evil", "/root/evil", ${JSON.stringify(path.join(hostHome, 'evil'))}, "/proc/sys/kernel/evil"]:\n    try:\n        open(p, "w").write("x")\n        wrote.append(p)\n    except OSError:\n        pass\nprint("WROTE", wrote)\nraise SystemExit(1 if not wrote else 0)`,
      background: 'import subprocess, os, time\nsubprocess.Popen(["sleep", "313"], start_new_session=True)\nif os.fork() == 0:\n    os.setsid()\n    if os.fork() == 0:\n        time.sleep(313)\n    os._exit(0)\nprint("parent exits")',
      userns: 'import ctypes\nlibc = ctypes.CDLL(None, use_errno=True)\nrc = libc.unshare(0x10000000)\nprint("unshare", rc, ctypes.get_errno())\nraise SystemExit(0 if rc == 0 else 1)',
    };
    const timeouts: Record<string, number> = { forkBomb: 4000, infiniteLoop: 3000, memoryHog: 15_000 };
    const goods = Array.from({ length: 6 }, (_, i) => sb.run(`print(${i} * 2)`, { timeoutMs: 30_000 }).then((r) => normal.push(r)));
    await Promise.all([
      ...Object.entries(hostile).map(([name, code]) => sb.run(code, { timeoutMs: timeouts[name] ?? 15_000 }).then((r) => results.set(name, r))),
      ...goods,
    ]);
  }, 120_000);

  afterAll(() => {
    server?.close();
    if (hostHome) rmSync(hostHome, { recursive: true, force: true });
  });

  it('runs the normal samples next to the hostile ones', () => {
    expect(normal).toHaveLength(6);
    for (const r of normal) expect(r.status).toBe('ok');
    expect(normal.map((r) => Number(r.stdout.trim())).sort((a, b) => a - b)).toEqual([0, 2, 4, 6, 8, 10]);
  });

  it('stops a fork bomb and an infinite loop by the wall clock', () => {
    expect(results.get('forkBomb')?.status).toBe('timeout');
    expect(['timeout', 'killed']).toContain(results.get('infiniteLoop')?.status);
  });

  it('fails a memory hog, a huge file and a full tmpfs inside the sample', () => {
    expect(results.get('memoryHog')?.stderr).toMatch(/MemoryError/);
    expect(results.get('hugeFile')?.stderr).toMatch(/File too large|OSError/);
    expect(results.get('fillTmp')?.stderr).toMatch(/No space left on device/);
  });

  it('cannot delete, read or write anything of the host', () => {
    expect(readFileSync(path.join(hostHome, 'canary.txt'), 'utf8')).toBe('still here');
    expect(readFileSync(path.join(hostHome, '.ssh', 'id_rsa'), 'utf8')).toBe('PRIVATE-KEY-CANARY');
    expect(existsSync('/usr/bin/python3')).toBe(true);
    expect(statSync(path.resolve(__dirname, '../src/sandbox.ts')).isFile()).toBe(true);
    expect(results.get('readSsh')?.stdout).not.toContain('CANARY');
    expect(results.get('readSsh')?.stdout).toMatch(/denied/);
    expect(results.get('writeOutside')?.stdout).toContain('WROTE []');
    for (const p of ['/usr/evil', '/etc/evil', '/evil', '/work/evil', '/root/evil', path.join(hostHome, 'evil')]) expect(existsSync(p)).toBe(false);
  });

  it('has no network: neither the host loopback nor the internet', () => {
    const out = results.get('socket')?.stdout ?? '';
    expect(out).not.toContain('CONNECTED');
    expect(out.match(/blocked/g)).toHaveLength(3);
    expect(connections).toBe(0);
  });

  it('cannot create user namespaces inside the sandbox', () => {
    expect(results.get('userns')?.status).toBe('error');
  });

  it('kills background processes with their sample and leaves no process behind', () => {
    const bg = results.get('background')!;
    expect(bg.status).toBe('ok');
    expect(bg.durationMs).toBeLessThan(60_000);
    expect(processesMatching('sleep 313')).toEqual([]);
    // Only this process's sandboxes: other test files may be running their own right now.
    expect(liveSandboxProcesses()).toEqual([]);
    for (const r of results.values()) expect(r.leftoverKilled).toBe(0);
  });
});

describe.runIf(HAVE_BWRAP)('process tree', () => {
  it('takes every sandboxed process down when the evaluating process dies', async () => {
    const { spawn } = await import('node:child_process');
    const script = path.join(__dirname, 'fixtures', 'hold-sandbox.ts');
    const child = spawn(process.execPath, ['-r', '@swc-node/register', script], { cwd: path.resolve(__dirname, '../../..'), stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('RUNNING')) resolve();
      });
      child.on('exit', () => reject(new Error(`holder exited early: ${out}`)));
    });
    expect(processesMatching('sleep 327').length).toBeGreaterThan(0);
    child.kill('SIGKILL');
    const deadline = Date.now() + 10_000;
    // The kernel tears the sandbox's pid namespace down after the holder dies, not at the same instant: the sleep can
    // be gone while bwrap or python are still exiting (seen once in CI on a loaded machine), so both get the bound.
    const left = () => [...processesMatching('sleep 327'), ...liveSandboxProcesses(1_000_000_000, child.pid)];
    while (left().length > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(processesMatching('sleep 327')).toEqual([]);
    expect(liveSandboxProcesses(1_000_000_000, child.pid)).toEqual([]);
  }, 60_000);
});
