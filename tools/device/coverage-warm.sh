#!/usr/bin/env bash
# On the GPU machine, after tools/device/unpack.sh: `coverage` of the small stand-in model twice with a storage path
# (docs/storage.md), so the first server start is cold and the second warm: VLLM_CACHE_ROOT is then on the storage
# path, and the stand-in keeps its torch.compile artifacts there as vLLM does. Each run's coverage JSON is kept as
# results/models/gpu-standin-small/coverage/balanced-start<N>.json. The storage setting is removed at the end.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
# shellcheck disable=SC1091
. "${EVALGRAPH_DEVICE_HOME:-/tmp/evalgraph-device}/env.sh"
store=${EVALGRAPH_WARM_STORE:-/tmp/evalgraph-warm-storage}
rm -rf "$store"
mkdir -p "$store"
[ -e configs/storage.yaml ] && { echo "coverage-warm: configs/storage.yaml exists; not replacing it" >&2; exit 2; }
[ -e .env.local ] && cp .env.local .env.local.before
restore() {
  rm -f configs/storage.yaml
  if [ -e .env.local.before ]; then mv .env.local.before .env.local; else rm -f .env.local; fi
}
trap restore EXIT
printf 'kind: path\npath: %s\n' "$store" >configs/storage.yaml
evalgraph storage apply
out=results/models/gpu-standin-small/coverage
rc=0
for n in 1 2; do
  # A failed check of the first start still leaves its compile cache: the second start runs either way.
  nx run model-gpu-standin-small:coverage --presets=balanced --skip-nx-cache || rc=1
  cp "$out/balanced.json" "$out/balanced-start$n.json"
  cp "$out/balanced.server.log" "$out/balanced-start$n.server.log"
  grep -h 'torch.compile' "$out/balanced.server.log" || true
done
du -sh "$store"/vllm-cache/* 2>/dev/null || true
ls "$store"/vllm-cache/*/torch_compile_cache 2>/dev/null || true
exit $rc
