#!/usr/bin/env bash
# On the GPU machine, in the repository root: unpacks .device/ (made by tools/device/pack.sh) and writes an env file
# that puts Node, the GPU stand-in as `vllm` (EVALGRAPH_VLLM), bwrap and the dataset mirror in place.
#   tools/device/unpack.sh && . /tmp/evalgraph-device/env.sh
# It also copies tools/device/workspace/ (the stand-in model configs and the gpu-validation pipeline) into the
# working copy on that machine; the repository's own configs stay as they are. Python's lzma/tarfile do the
# unpacking, so the device needs no xz.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
dest=${EVALGRAPH_DEVICE_HOME:-/tmp/evalgraph-device}
[ -f "$root/.device/node.xz" ] || { echo "unpack: $root/.device/node.xz is missing: run tools/device/pack.sh here and carry .device" >&2; exit 1; }
mkdir -p "$dest/bin" "$dest/mirror" "$dest/lib"
python3 - "$root" "$dest" <<'PY'
import lzma, os, shutil, sys, tarfile
root, dest = sys.argv[1], sys.argv[2]
with lzma.open(os.path.join(root, ".device", "node.xz")) as src, open(os.path.join(dest, "bin", "node"), "wb") as out:
    shutil.copyfileobj(src, out, 1 << 20)
os.chmod(os.path.join(dest, "bin", "node"), 0o755)
with tarfile.open(os.path.join(root, ".device", "node_modules.tar.xz"), "r:xz") as t:
    t.extractall(root)
with tarfile.open(os.path.join(root, ".device", "mirror.tar.xz"), "r:xz") as t:
    t.extractall(os.path.join(dest, "mirror"))
PY
cp -r "$root/tools/device/workspace/." "$root/"
if [ -x "$root/.device/bwrap/bwrap" ] && ! command -v bwrap >/dev/null; then
  cp "$root/.device/bwrap/"*.so* "$dest/lib/" 2>/dev/null || true
  cp "$root/.device/bwrap/bwrap" "$dest/lib/bwrap.bin"
  # A wrapper, so the carried libraries reach bwrap alone (not Python or torch).
  printf '#!/bin/sh\nLD_LIBRARY_PATH=%s exec %s "$@"\n' "$dest/lib" "$dest/lib/bwrap.bin" >"$dest/bin/bwrap"
  chmod +x "$dest/bin/bwrap"
fi
ln -sf "$root/tools/gpu-standin/vllm" "$dest/bin/vllm"
cat >"$dest/env.sh" <<ENV
export PATH="$dest/bin:$root/node_modules/.bin:\$PATH"
export EVALGRAPH_VLLM="$root/tools/gpu-standin/vllm"
export EVALGRAPH_DATA_MIRROR="$dest/mirror"
export NX_DAEMON=false NX_NO_CLOUD=true NX_TUI=false
ENV
echo "unpack: node $("$dest/bin/node" --version), vllm = $("$root/tools/gpu-standin/vllm" --version), bwrap = $(command -v bwrap || echo "$dest/bin/bwrap")"
