#!/usr/bin/env bash
# On the GPU machine, after tools/device/unpack.sh: kills nx in the middle of the gpu-faults pipeline, once with
# SIGKILL (to nx alone) and once with SIGINT (to nx's process group, as Ctrl-C does), and for each records
#   - nvidia-smi's compute processes 30 s later (none may hold GPU memory),
#   - the re-run's requests against those the killed run had answered (none may be sent again).
#   tools/device/gpu-faults.sh KILL|INT [out-dir]      (default $OUT; both signals when the first argument is "both")
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
which=${1:-both}
dest=$(mkdir -p "${2:-${OUT:?pass an output folder}}" && cd "${2:-$OUT}" && pwd)
# Working files stay outside the output folder (at most 8 files come back): finish() writes faults.json and one
# archive per signal there.
out=$(mktemp -d)
pid=
# Cut off (a time limit's SIGTERM), the nx started with setsid is not in our process group: end it too.
trap '[ -n "$pid" ] && kill -KILL -- "-$pid" 2>/dev/null; exit 143' TERM INT
cd "$root"
# shellcheck disable=SC1091
. "${EVALGRAPH_DEVICE_HOME:-/tmp/evalgraph-device}/env.sh"
nx_bin=$root/node_modules/.bin/nx
answered() { grep -c '"answered": true' "$1" 2>/dev/null || echo 0; }

fault() {
  local sig=$1 label=$2 t_kill
  rm -rf results/gpu-faults .evalgraph/request-cache.sqlite*
  export GPU_STANDIN_REQUEST_LOG=$out/faults-$label-first.jsonl
  : >"$GPU_STANDIN_REQUEST_LOG"
  echo "== $label: start $(date -u +%T)"
  setsid "$nx_bin" run-many -t evaluate --projects='cell-gpu-faults--*' --skip-nx-cache >"$out/faults-$label-first.log" 2>&1 &
  pid=$!
  for _ in $(seq 1 480); do
    [ "$(answered "$GPU_STANDIN_REQUEST_LOG")" -ge 32 ] && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.5
  done
  nvidia-smi --query-compute-apps=pid,used_memory --format=csv,noheader >"$out/faults-$label-gpu-before-kill.txt"
  if [ "$sig" = KILL ]; then kill -KILL "$pid"; else kill -INT -- "-$pid"; fi
  t_kill=$(date +%s)
  echo "$label: sent SIG$sig at $(date -u +%T) after $(answered "$GPU_STANDIN_REQUEST_LOG") answered requests"
  sleep 30
  nvidia-smi --query-compute-apps=pid,used_memory --format=csv,noheader >"$out/faults-$label-apps-30s.txt" 2>&1
  {
    echo "seconds after the signal: $(($(date +%s) - t_kill))"
    nvidia-smi --query-compute-apps=pid,used_memory --format=csv
    nvidia-smi --query-gpu=memory.used,memory.total --format=csv
    echo "stand-in processes:"; pgrep -af 'gpu-standin/main.py|tools/gpu-standin' || echo none
  } >"$out/faults-$label-gpu-30s.txt" 2>&1
  cat "$out/faults-$label-gpu-30s.txt"
  wait "$pid" 2>/dev/null
  pid=
  export GPU_STANDIN_REQUEST_LOG=$out/faults-$label-rerun.jsonl
  : >"$GPU_STANDIN_REQUEST_LOG"
  "$nx_bin" run-many -t evaluate --projects='cell-gpu-faults--*' --skip-nx-cache >"$out/faults-$label-rerun.log" 2>&1
  echo "$label: re-run rc=$? answered $(answered "$GPU_STANDIN_REQUEST_LOG")"
}
finish() {
FAULTS_DEST=$dest python3 - "$out" <<'PY'
import json, os, sys
out = sys.argv[1]
res = {}
for label in ("sigkill", "sigint"):
    def rows(name):
        p = os.path.join(out, f"faults-{label}-{name}.jsonl")
        return [json.loads(l) for l in open(p) if l.strip()] if os.path.exists(p) else []
    first, rerun = rows("first"), rows("rerun")
    done = {r["body_sha256"] for r in first if r.get("answered") and r["path"] != "/health"}
    sent_again = [r for r in rerun if "answered" not in r and not r.get("probe") and r["body_sha256"] in done]
    if not os.path.exists(os.path.join(out, f"faults-{label}-gpu-30s.txt")):
        continue
    gpu = open(os.path.join(out, f"faults-{label}-gpu-30s.txt")).read()
    apps = [l for l in open(os.path.join(out, f"faults-{label}-apps-30s.txt")).read().splitlines() if l.strip()]
    res[label] = {
        "answered_before_signal": len(done),
        "rerun_requests": sum(1 for r in rerun if "answered" not in r and not r.get("probe")),
        "rerun_resent_answered": len(sent_again),
        "gpu_processes_30s_after": apps,
        "gpu_report_30s_after": gpu,
    }
prev = os.path.join(os.environ["FAULTS_DEST"], "faults.json")
if os.path.exists(prev):
    res = {**json.load(open(prev)), **res}
with open(prev, "w") as f:
    json.dump(res, f, indent=2)
print(json.dumps(res, indent=2))
PY
# At most 8 files come back from the device: one archive per signal.
for label in sigkill sigint; do
  ls "$out"/faults-$label-* >/dev/null 2>&1 || continue
  (cd "$out" && tar -czf "$dest/faults-$label.tar.gz.tmp" faults-$label-* && mv "$dest/faults-$label.tar.gz.tmp" "$dest/faults-$label.tar.gz")
done
}
[ "$which" = INT ] || { fault KILL sigkill; finish; }
[ "$which" = KILL ] || { fault INT sigint; finish; }
