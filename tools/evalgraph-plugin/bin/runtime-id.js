#!/usr/bin/env node
// Prints the identity of the inference runtime ("vllm"), the GPU ("gpu") or the training stack ("trainer") for Nx runtime inputs.
// Plain JS and cached by executable path + mtime: Nx runs it on every hash, and `vllm --version` imports torch (seconds).
'use strict';
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

function which(cmd) {
  if (cmd.includes('/')) return fs.existsSync(cmd) ? path.resolve(cmd) : null;
  for (const dir of (process.env.PATH || '').split(path.delimiter)) {
    const p = path.join(dir, cmd);
    try {
      fs.accessSync(p, fs.constants.X_OK);
      return p;
    } catch {}
  }
  return null;
}

function vllmId() {
  const exe = which(process.env.EVALGRAPH_VLLM || 'vllm');
  if (!exe) return 'vllm:absent';
  const st = fs.statSync(exe);
  const cacheFile = path.join(process.cwd(), '.evalgraph', 'runtime-id.json');
  const key = `${exe}:${st.mtimeMs}:${st.size}`;
  let cache = {};
  try { cache = JSON.parse(fs.readFileSync(cacheFile, 'utf8')); } catch {}
  if (cache[key]) return cache[key];
  let id;
  const shebang = fs.readFileSync(exe, 'utf8').slice(0, 200).split('\n')[0];
  try {
    if (/python/.test(shebang)) {
      const py = shebang.replace(/^#!\s*/, '').split(/\s+/).filter((s) => s !== '/usr/bin/env');
      id = 'vllm ' + execFileSync(py[0], ['-c', "from importlib.metadata import version; print(version('vllm'))"], { encoding: 'utf8', timeout: 20000 }).trim();
    } else {
      id = execFileSync(exe, ['--version'], { encoding: 'utf8', timeout: 20000 }).trim().split('\n').pop();
    }
  } catch (e) {
    id = `vllm:unknown(${path.basename(exe)})`;
  }
  try {
    fs.mkdirSync(path.dirname(cacheFile), { recursive: true });
    cache[key] = id;
    fs.writeFileSync(cacheFile, JSON.stringify(cache));
  } catch {}
  return id;
}

function gpuId() {
  try {
    return execFileSync('nvidia-smi', ['--query-gpu=name,memory.total,driver_version', '--format=csv,noheader'], { encoding: 'utf8', timeout: 10000 }).trim().replace(/\n/g, ' | ');
  } catch {
    return 'gpu:none';
  }
}

// The Python stack a LoRA run trains with: versions read from package metadata (importing torch takes seconds).
function trainerId() {
  const py = process.env.EVALGRAPH_PYTHON || 'python3';
  const script = "from importlib.metadata import version\nimport sys\nout=['python '+sys.version.split()[0]]\nfor p in ('torch','transformers','peft'):\n    try: out.append(p+' '+version(p))\n    except Exception: out.append(p+' absent')\nprint(', '.join(out))";
  try {
    return execFileSync(py, ['-c', script], { encoding: 'utf8', timeout: 20000 }).trim();
  } catch {
    return `trainer-python:absent(${py})`;
  }
}

const what = process.argv[2];
process.stdout.write((what === 'gpu' ? gpuId() : what === 'trainer' ? trainerId() : vllmId()) + '\n');
