/**
 * `npm run setup`'s decisions, with fake apt-get / id / sudo on a PATH of their own: it installs only what is
 * missing, prints the command when it cannot install, and does nothing when everything is present.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';

const SETUP = join(__dirname, '..', 'bin', 'setup.js');
const { setup } = createRequire(__filename)(SETUP) as { setup: (argv: string[], env: NodeJS.ProcessEnv, platform: string, out: (s: string) => void, err: (s: string) => void) => number };

let dirs: string[] = [];
afterEach(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  dirs = [];
});

interface Fake {
  uid?: number;
  sudo?: 'passwordless' | 'password' | 'absent';
  apt?: 'ok' | 'fails' | 'absent';
  present?: string[];
}

/** A bin folder with the given tools; apt-get "installs" a package by creating its binary there. */
function machine(f: Fake) {
  const dir = mkdtempSync(join(tmpdir(), 'evalgraph-setup-'));
  dirs.push(dir);
  const log = join(dir, 'calls.log');
  const script = (name: string, body: string) => {
    writeFileSync(join(dir, name), `#!/bin/sh\n${body}\n`);
    chmodSync(join(dir, name), 0o755);
  };
  for (const b of f.present ?? []) script(b, 'exit 0');
  script('id', `echo ${f.uid ?? 0}`);
  if ((f.sudo ?? 'absent') !== 'absent') {
    script('sudo', `echo "sudo $*" >> "${log}"\n[ "$1" = -n ] && shift\n${f.sudo === 'password' ? 'exit 1' : '[ "$1" = true ] && exit 0\nexec "$@"'}`);
  }
  if ((f.apt ?? 'ok') !== 'absent') {
    const bins: Record<string, string> = { bubblewrap: 'bwrap', python3: 'python3', chromium: 'chromium', 'slurm-wlm': 'sbatch', munge: 'munge' };
    const installs = Object.entries(bins)
      .map(([pkg, bin]) => `    ${pkg}) printf '#!/bin/sh\\nexit 0\\n' > "${dir}/${bin}"; /bin/chmod 755 "${dir}/${bin}";;`)
      .join('\n');
    script(
      'apt-get',
      `echo "apt-get $*" >> "${log}"\n${f.apt === 'fails' ? 'exit 100' : `[ "$1" = install ] || exit 0\nfor p in "$@"; do\n  case "$p" in\n${installs}\n  esac\ndone`}`,
    );
  }
  const env = { PATH: dir };
  return {
    dir,
    run: (...args: string[]) => {
      const r = spawnSync(process.execPath, [SETUP, ...args], { env, encoding: 'utf8' });
      return { status: r.status, out: r.stdout, err: r.stderr, calls: existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n') : [] };
    },
  };
}

describe('npm run setup', () => {
  it('does nothing when every package is present', () => {
    const r = machine({ present: ['bwrap', 'python3'] }).run();
    expect(r.status).toBe(0);
    expect(r.out).toContain('nothing to install');
    expect(r.calls).toEqual([]);
  });

  it('as root installs only what is missing, after one apt-get update, and is a no-op the second time', () => {
    const m = machine({ present: ['python3'] });
    const r = m.run();
    expect(r.status).toBe(0);
    expect(r.calls).toEqual(['apt-get update -qq', 'apt-get install -y -qq --no-install-recommends bubblewrap']);
    expect(existsSync(join(m.dir, 'bwrap'))).toBe(true);
    const again = m.run();
    expect(again.status).toBe(0);
    expect(again.calls).toHaveLength(2);
  });

  it('--tests adds chromium and the local Slurm (slurm-wlm, munge); the main command never needs them', () => {
    const r = machine({ present: ['python3'] }).run('--tests');
    expect(r.status).toBe(0);
    expect(r.calls).toEqual(['apt-get update -qq', 'apt-get install -y -qq --no-install-recommends bubblewrap chromium slurm-wlm munge']);
    const main = machine({ present: ['bwrap', 'python3'] }).run();
    expect(main.calls).toEqual([]);
    const onlySlurm = machine({ present: ['bwrap', 'python3', 'chromium', 'munge'] }).run('--tests');
    expect(onlySlurm.calls).toEqual(['apt-get update -qq', 'apt-get install -y -qq --no-install-recommends slurm-wlm']);
  });

  it('uses passwordless sudo when not root', () => {
    const r = machine({ uid: 1000, sudo: 'passwordless', present: ['bwrap'] }).run();
    expect(r.status).toBe(0);
    expect(r.calls).toEqual([
      'sudo -n true',
      'sudo -n apt-get update -qq',
      'apt-get update -qq',
      'sudo -n apt-get install -y -qq --no-install-recommends python3',
      'apt-get install -y -qq --no-install-recommends python3',
    ]);
  });

  it('prints the exact command and installs nothing when not root and sudo needs a password', () => {
    for (const sudo of ['password', 'absent'] as const) {
      const r = machine({ uid: 1000, sudo, present: ['python3'] }).run('--tests');
      expect(r.status).toBe(1);
      expect(r.err).toContain('sudo apt-get update && sudo apt-get install -y --no-install-recommends bubblewrap chromium slurm-wlm munge');
      expect(r.calls.filter((c) => c.startsWith('apt-get'))).toEqual([]);
    }
  });

  it('--check never installs and names the command', () => {
    const r = machine({ present: ['python3'] }).run('--check');
    expect(r.status).toBe(1);
    expect(r.err).toContain('apt-get update && apt-get install -y --no-install-recommends bubblewrap');
    expect(r.calls).toEqual([]);
  });

  it('without apt-get, or when apt-get fails, says what to install', () => {
    const none = machine({ apt: 'absent' }).run();
    expect(none.status).toBe(1);
    expect(none.err).toMatch(/no apt-get here: .*dnf install bubblewrap python3/);
    const fails = machine({ apt: 'fails', present: ['bwrap', 'python3', 'sbatch', 'munge'] }).run('--tests');
    expect(fails.status).toBe(1);
    expect(fails.err).toContain('apt-get failed (exit 100); run it yourself: apt-get update && apt-get install -y --no-install-recommends chromium');
  });

  it('on macOS explains that the sandbox needs Linux', () => {
    const err: string[] = [];
    const status = setup([], { PATH: '' }, 'darwin', () => {}, (s) => err.push(s));
    expect(status).toBe(1);
    expect(err.join('\n')).toMatch(/bubblewrap exists only on Linux.*\n.*docker run/);
  });

  it('honours EVALGRAPH_SKIP_BROWSER and EVALGRAPH_CHROMIUM like the browser test, and rejects unknown options', () => {
    const out: string[] = [];
    const present = machine({ present: ['bwrap', 'python3', 'sbatch', 'munge'] });
    expect(setup(['--tests'], { PATH: present.dir, EVALGRAPH_SKIP_BROWSER: '1' }, 'linux', (s) => out.push(s), () => {})).toBe(0);
    expect(setup(['--tests'], { PATH: present.dir, EVALGRAPH_CHROMIUM: join(present.dir, 'bwrap') }, 'linux', (s) => out.push(s), () => {})).toBe(0);
    // Skipping the browser does not skip the Slurm packages.
    const noSlurm = machine({ present: ['bwrap', 'python3'] });
    expect(setup(['--tests', '--check'], { PATH: noSlurm.dir, EVALGRAPH_SKIP_BROWSER: '1' }, 'linux', () => {}, () => {})).toBe(1);
    expect(setup(['--test'], { PATH: present.dir }, 'linux', () => {}, () => {})).toBe(2);
  });
});
