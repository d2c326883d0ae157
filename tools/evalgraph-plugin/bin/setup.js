#!/usr/bin/env node
// `npm run setup [-- --tests] [-- --check]`: installs the system packages evalgraph needs that are missing here.
// Plain JavaScript with no dependencies, so it runs in milliseconds and before or after `npm ci`.
'use strict';
const { spawnSync } = require('node:child_process');
const { accessSync, constants } = require('node:fs');
const { delimiter, join, isAbsolute } = require('node:path');

/** The packages of the main job; chromium and a local Slurm are added for the tests. */
const MAIN = [
  { pkg: 'bubblewrap', bin: 'bwrap', why: 'the sandbox that runs model-written code (HumanEval, MBPP)' },
  { pkg: 'python3', bin: 'python3', why: 'the interpreter inside the code sandbox' },
];
const CHROMIUM = { pkg: 'chromium', bin: 'chromium', why: "the report's browser test (npm test only)" };
// slurm-wlm brings slurmctld, slurmd and the client commands; munged (Slurm's authentication) is only a
// recommendation of it, so it is named too. The main README command never needs either.
const SLURM = [
  { pkg: 'slurm-wlm', bin: 'sbatch', why: 'the local one-node Slurm of the cluster tests (npx evalgraph slurm up; npm test only)' },
  { pkg: 'munge', bin: 'munge', why: "Slurm's authentication daemon (npm test only)" },
];
const TESTS = [CHROMIUM, ...SLURM];

/** Absolute path of an executable on PATH (or the path itself when absolute), or null. */
function which(cmd, pathEnv) {
  const candidates = isAbsolute(cmd) ? [cmd] : pathEnv.split(delimiter).filter(Boolean).map((d) => join(d, cmd));
  for (const c of candidates) {
    try {
      accessSync(c, constants.X_OK);
      return c;
    } catch {
      // not here
    }
  }
  return null;
}

/** What this run needs: the browser test's Chromium honours the same variables as the test itself. */
function needed(tests, env) {
  if (!tests) return MAIN;
  if (env.EVALGRAPH_SKIP_BROWSER === '1') return [...MAIN, ...SLURM];
  if (env.EVALGRAPH_CHROMIUM) return [...MAIN, { ...CHROMIUM, bin: env.EVALGRAPH_CHROMIUM }, ...SLURM];
  return [...MAIN, ...TESTS];
}

function aptCommand(sudo, pkgs) {
  const s = sudo ? 'sudo ' : '';
  return `${s}apt-get update && ${s}apt-get install -y --no-install-recommends ${pkgs.join(' ')}`;
}

/** Runs a command with the user's terminal; returns its exit status. */
function run(cmd, args, env) {
  const r = spawnSync(cmd, args, { stdio: 'inherit', env });
  return r.error ? 127 : r.status ?? 1;
}

function capture(cmd, args, env) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', env, stdio: ['ignore', 'pipe', 'ignore'] });
  return r.error || r.status !== 0 ? null : r.stdout.trim();
}

/** Decides and, unless --check, installs. Returns the exit status; every message goes through `out`/`err`. */
function setup(argv, env = process.env, platform = process.platform, out = console.log, err = console.error) {
  const unknown = argv.filter((a) => a !== '--tests' && a !== '--check');
  if (unknown.length) {
    err(`evalgraph setup: unknown option ${unknown[0]} (use --tests to add chromium and slurm for npm test, --check to only check)`);
    return 2;
  }
  const tests = argv.includes('--tests');
  const pathEnv = env.PATH ?? '';
  const need = needed(tests, env);
  const missing = need.filter((n) => !which(n.bin, pathEnv));
  if (missing.length === 0) {
    out(`evalgraph setup: ${need.map((n) => n.pkg).join(', ')} present; nothing to install`);
    return 0;
  }
  const pkgs = missing.map((n) => n.pkg);
  const list = missing.map((n) => `  ${n.pkg} (${n.bin}): ${n.why}`).join('\n');
  const header = `evalgraph setup: missing system packages:\n${list}`;
  const rerun = `then run \`npm run setup${tests ? ' -- --tests' : ''}\` again`;

  if (platform !== 'linux') {
    err(
      `${header}\nbubblewrap exists only on Linux: run evalgraph in a Debian/Ubuntu container or VM, for example\n` +
        `  docker run --rm -it -v "$PWD":/w -w /w node:20-bookworm bash -c 'npm ci && npm run setup && npx nx run pipeline-smoke:readiness'`,
    );
    return 1;
  }
  if (!which('apt-get', pathEnv)) {
    err(`${header}\nno apt-get here: install them with your package manager (e.g. dnf install ${pkgs.join(' ')}), ${rerun}`);
    return 1;
  }
  if (argv.includes('--check')) {
    err(`${header}\ninstall them with: ${aptCommand(capture('id', ['-u'], env) !== '0', pkgs)}\n(or run \`npm run setup${tests ? ' -- --tests' : ''}\`)`);
    return 1;
  }
  let sudo = false;
  if (capture('id', ['-u'], env) !== '0') {
    if (!which('sudo', pathEnv) || capture('sudo', ['-n', 'true'], env) === null) {
      err(`${header}\nyou are not root and sudo needs a password here, so install them yourself:\n  ${aptCommand(true, pkgs)}\n${rerun}`);
      return 1;
    }
    sudo = true;
  }
  out(`${header}\ninstalling: ${aptCommand(sudo, pkgs)}`);
  const aptEnv = { ...env, DEBIAN_FRONTEND: 'noninteractive' };
  // These packages ask no debconf questions, so sudo's reset environment (no DEBIAN_FRONTEND) is fine.
  const apt = (args) => (sudo ? run('sudo', ['-n', 'apt-get', ...args], aptEnv) : run('apt-get', args, aptEnv));
  const status = apt(['update', '-qq']) || apt(['install', '-y', '-qq', '--no-install-recommends', ...pkgs]);
  if (status !== 0) {
    err(
      `evalgraph setup: apt-get failed (exit ${status}); run it yourself: ${aptCommand(sudo, pkgs)}` +
        (pkgs.includes('chromium') ? '\n(on Ubuntu Chromium is a snap: snap install chromium && export EVALGRAPH_CHROMIUM=/snap/bin/chromium)' : ''),
    );
    return 1;
  }
  const still = missing.filter((n) => !which(n.bin, pathEnv));
  if (still.length) {
    err(`evalgraph setup: apt-get succeeded but ${still.map((n) => n.bin).join(', ')} is still not on PATH (${pathEnv})`);
    return 1;
  }
  out(`evalgraph setup: installed ${pkgs.join(', ')}`);
  return 0;
}

module.exports = { setup, needed, which };

if (require.main === module) process.exit(setup(process.argv.slice(2)));
