#!/usr/bin/env bash
# On the GPU machine, in the repository root, after carrying .device (tools/device/pack.sh):
#   tools/device/gpu-validate.sh [out-dir]      (default $OUT)
# Runs, each step with a time limit and logged: the stand-in's unit tests, the English-only filter check,
# `evalgraph doctor`, coverage of both stand-in models, nx killed with SIGKILL mid-run, the gpu-validation
# pipeline (evaluate + readiness), LoRA training on both GPU profiles and the gpu-lora pipeline, and nx interrupted
# with SIGINT mid-run. All of them take longer than one 10-minute call: pick some with GPU_VALIDATE_STEPS. A failing step is recorded and
# the next one still runs. After each step tools/device/summarize.py rewrites summary.json and report.md and the
# logs are re-archived, so a run cut off at its time limit still returns what it measured. At most 8 files come
# back: logs.tar.gz, results.tar.gz, summary.json, report.md, faults.json, faults-sigkill.tar.gz, faults-sigint.tar.gz.
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
out=$(mkdir -p "${1:-${OUT:?pass an output folder}}" && cd "${1:-$OUT}" && pwd)
logs=$(mktemp -d)
cd "$root"
: >"$logs/steps.tsv"
checkpoint() {
  cp "$out/faults.json" "$logs/" 2>/dev/null
  python3 tools/device/summarize.py "$logs" "$root" >"$logs/summarize.log" 2>&1
  cp "$logs/summary.json" "$logs/report.md" "$out/" 2>/dev/null
  tar -czf "$out/logs.tar.gz.tmp" -C "$logs" . && mv "$out/logs.tar.gz.tmp" "$out/logs.tar.gz"
  # The filter module exists only after the english-module step: an unmatched glob made tar fail and left a .tmp.
  local extra=() f
  for f in .evalgraph/artifacts/*.py; do [ -e "$f" ] && extra+=("$f"); done
  tar -czf "$out/results.tar.gz.tmp" results "${extra[@]}" 2>/dev/null && mv "$out/results.tar.gz.tmp" "$out/results.tar.gz"
}
# GPU_VALIDATE_STEPS="doctor coverage-8b ..." runs only the steps named (unpack always runs). A step's time limit can
# be raised for one call, e.g. GPU_LIMIT_pipeline=400 (a dash in a step name is an underscore there).
# GPU_COVERAGE_PRESETS=performance limits both coverage steps to the presets named.
step() {
  local name=$1 limit=$2 t0 rc override
  override="GPU_LIMIT_${1//-/_}"
  limit=${!override:-$limit}
  shift 2
  if [ -n "${GPU_VALIDATE_STEPS:-}" ] && [ "$name" != unpack ] && [ "$name" != build ] && [[ " $GPU_VALIDATE_STEPS " != *" $name "* ]]; then return 0; fi
  t0=$(date +%s%N)
  echo "== $(date -u +%H:%M:%S) $name: $*"
  timeout -k 10 "$limit" "$@" >"$logs/$name.log" 2>&1
  rc=$?
  printf '%s\t%s\t%s\t%s\n' "$name" "$rc" "$((($(date +%s%N) - t0) / 1000000)) ms" "$*" | tee -a "$logs/steps.tsv"
  tail -n 4 "$logs/$name.log"
  leftovers
  checkpoint
}
# Stand-in processes alive after a step (a step cut off by its time limit can leave its server): recorded, then
# ended by pid so the next step starts from a free GPU.
leftovers() {
  local pids
  pids=$(pgrep -f 'tools/gpu-standin/main.py serve' || true)
  [ -n "$pids" ] || return 0
  { echo "after step $name: stand-in processes left: $pids"; nvidia-smi --query-compute-apps=pid,used_memory --format=csv; } | tee -a "$logs/leftovers.txt"
  for p in $pids; do kill -KILL "$p" 2>/dev/null; done
  sleep 2
}
{
  date -u +%Y-%m-%dT%H:%M:%SZ
  nvidia-smi
  nvidia-smi --query-gpu=name,memory.total,memory.used,driver_version --format=csv
  python3 -c 'import torch, transformers, tokenizers, sys; print("python", sys.version.split()[0], "torch", torch.__version__, "cuda", torch.version.cuda, "transformers", transformers.__version__, "tokenizers", tokenizers.__version__)'
  echo "cores $(nproc); kernel $(uname -r)"
} >"$logs/machine.txt" 2>&1
step unpack 120 tools/device/unpack.sh
# shellcheck disable=SC1091
. "${EVALGRAPH_DEVICE_HOME:-/tmp/evalgraph-device}/env.sh"
# The libs load from their compiled dist/ (gitignored, so not in the working tree that travels): build it here.
step build 120 node tools/evalgraph-plugin/bin/build.js
step standin-tests 120 python3 -m unittest discover -v -s tools/gpu-standin/tests -t tools/gpu-standin
step english-module 60 node -e "const m = require('@evalgraph/inference'); console.log(JSON.stringify(m.writeLogitsProcessorModule(process.cwd())))"
step filter 90 python3 tools/gpu-standin/filter_check.py .evalgraph/artifacts --out "$logs/filter.json"
step doctor 60 evalgraph doctor
# GPU_COVERAGE_PRESETS=performance (or a comma list) checks those presets only; default every preset, the device
# workspace's gpu-validation preset included, which is more than one call's time for both models.
presets=${GPU_COVERAGE_PRESETS:+--presets=$GPU_COVERAGE_PRESETS}
step coverage-small 90 nx run model-gpu-standin-small:coverage --skip-nx-cache $presets
step coverage-8b 150 nx run model-gpu-standin-8b-shape:coverage --skip-nx-cache $presets
# Cold, then warm server start with a storage path (issue 19, docs/storage.md): the compile cache in VLLM_CACHE_ROOT.
step coverage-warm 400 tools/device/coverage-warm.sh
step faults-sigkill 240 tools/device/gpu-faults.sh KILL "$out"
step pipeline 180 nx run-many -t evaluate --projects='cell-gpu-validation--*'
step readiness 60 nx run pipeline-gpu-validation:readiness
# Data -> training -> evaluation (issue 19): the trainer's GPU tests, one LoRA run per GPU profile (the recipe is the
# same, batch/accumulation/precision come from h100-80gb and h200-141gb), then base and adapter served by one
# stand-in server (--enable-lora) through the gpu-lora pipeline, up to its readiness.
step trainer-tests 180 bash -c 'cd tools/trainer && python3 -m unittest -v tests.test_logic tests.test_gpu_train'
step train-h100 240 nx run train-gpu-standin-small-lora:train
step train-h200 240 nx run train-gpu-standin-small-lora-h200:train
step lora 240 env GPU_STANDIN_REQUEST_LOG="$logs/lora-requests.log" nx run pipeline-gpu-lora:readiness
step faults-sigint 240 tools/device/gpu-faults.sh INT "$out"
nvidia-smi --query-compute-apps=pid,used_memory --format=csv >"$logs/gpu-apps-at-end.txt" 2>&1
checkpoint
cat "$logs/report.md"
rm -rf "$logs"
