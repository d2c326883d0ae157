#!/usr/bin/env bash
# On the GPU machine, in the repository root, after carrying .device (tools/device/pack.sh):
#   tools/device/gpu-validate.sh [out-dir]      (default $OUT)
# Runs, each step logged to <out>/<step>.log: the stand-in's unit tests, the English-only filter check,
# `evalgraph doctor`, coverage of both stand-in models, and the gpu-validation pipeline (evaluate + readiness).
# A failing step is recorded and the next one still runs. Then tools/device/summarize.py writes summary.json
# and report.md (the readiness gates on these measurements) into <out>.
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
out=$(mkdir -p "${1:-${OUT:?pass an output folder}}" && cd "${1:-$OUT}" && pwd)
cd "$root"
: >"$out/steps.tsv"
step() {
  local name=$1 t0 rc
  shift
  t0=$(date +%s%N)
  echo "== $(date -u +%H:%M:%S) $name: $*"
  "$@" >"$out/$name.log" 2>&1
  rc=$?
  printf '%s\t%s\t%s\t%s\n' "$name" "$rc" "$((($(date +%s%N) - t0) / 1000000))ms" "$*" | tee -a "$out/steps.tsv"
  tail -n 5 "$out/$name.log"
}
{
  date -u +%Y-%m-%dT%H:%M:%SZ
  nvidia-smi
  nvidia-smi --query-gpu=name,memory.total,memory.used,driver_version --format=csv
  python3 -c 'import torch, transformers, tokenizers, sys; print("python", sys.version.split()[0], "torch", torch.__version__, "cuda", torch.version.cuda, "transformers", transformers.__version__, "tokenizers", tokenizers.__version__)'
  nproc; uname -r
} >"$out/machine.txt" 2>&1
step unpack tools/device/unpack.sh
# shellcheck disable=SC1091
. "${EVALGRAPH_DEVICE_HOME:-/tmp/evalgraph-device}/env.sh"
step standin-tests python3 -m unittest discover -v -s tools/gpu-standin/tests -t tools/gpu-standin
step english-module node -e "require('@swc-node/register'); const m = require('./libs/inference/src/english-filter.ts'); console.log(JSON.stringify(m.writeLogitsProcessorModule(process.cwd())))"
step filter python3 tools/gpu-standin/filter_check.py .evalgraph/artifacts --out "$out/filter.json"
step doctor npx evalgraph doctor
step coverage-small npx nx run model-gpu-standin-small:coverage --skip-nx-cache
step coverage-8b npx nx run model-gpu-standin-8b-shape:coverage --skip-nx-cache
nvidia-smi --query-gpu=memory.used --format=csv,noheader >"$out/gpu-memory-after-coverage.txt"
step pipeline npx nx run-many -t evaluate --projects='cell-gpu-validation--*' --skip-nx-cache
step readiness npx nx run pipeline-gpu-validation:readiness
nvidia-smi --query-compute-apps=pid,used_memory --format=csv >"$out/gpu-apps-at-end.txt"
tar -czf "$out/results.tar.gz" results .evalgraph/artifacts/*.py 2>/dev/null
python3 tools/device/summarize.py "$out" "$root" 2>&1 | tee "$out/summarize.log"
# At most 8 files come back from the device: the logs travel as one archive.
(cd "$out" && tar -czf logs.tar.gz ./*.log gpu-*.txt && rm -f ./*.log gpu-*.txt)
