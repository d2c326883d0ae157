"""Item 3 of issue 17: the English-only module evalgraph writes, run inside the stand-in's decoding loop on CUDA.

Usage: python3 filter_check.py <artifacts-dir> [--out result.json] [--batch 64] [--tokens 64]
<artifacts-dir> holds evalgraph_english_<hash>.py and qwen3-english-allowed-<hash>.json as english-filter.ts wrote
them (on this machine: the module's ALLOWED_IDS_FILE path must exist). The module is imported as vLLM would (its
folder on sys.path, `module:Class`) and driven through lp_adapter (construct, update_state, apply) at Qwen3's
vocabulary width, in one batch where half the requests ask for the filter (vllm_xargs) and half do not.
Prints and writes JSON: tokens checked, violations, disallowed tokens of unfiltered rows, and step costs.
"""
import argparse
import glob
import json
import os
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import torch  # noqa: E402

from gpu_standin.engine import Engine, Job, Sampling  # noqa: E402
from gpu_standin.lp_adapter import load_processor_classes  # noqa: E402
from gpu_standin.textproc import tokenizer_dir  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("artifacts")
    ap.add_argument("--out")
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--tokens", type=int, default=64)
    ap.add_argument("--config", default=os.path.join(HERE, "configs", "qwen3-small.json"))
    a = ap.parse_args()
    module_file = glob.glob(os.path.join(a.artifacts, "evalgraph_english_*.py"))[0]
    module = os.path.basename(module_file)[:-3]
    sys.path.insert(0, a.artifacts)
    [cls] = load_processor_classes([f"{module}:EnglishOnlyLogitsProcessor"])
    mod = sys.modules[module]
    with open(mod.ALLOWED_IDS_FILE, encoding="utf-8") as f:
        allowed = set(json.load(f)["allowed_token_ids"])
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(os.path.join(tokenizer_dir(), "tokenizer.json"))
    filtered = Engine(a.config, tok, processor_classes=[cls], max_num_seqs=a.batch, window_ms=200)
    plain = Engine(a.config, tok, processor_classes=[], max_num_seqs=a.batch, window_ms=200)
    vocab = filtered.config.vocab_size

    def run(engine, on_rows):
        engine.step_times.clear()
        t0 = time.perf_counter()
        jobs = []
        for i in range(a.batch):
            extra = {mod.XARG: 1} if i in on_rows else None
            s = Sampling(max_tokens=a.tokens, temperature=1.0, seed=1000 + i, ignore_eos=True, extra_args=extra)
            jobs.append(engine.submit(Job("generate", tok.encode(f"Request {i}: write about the sea.").ids, s)))
        for j in jobs:
            assert j.done.wait(600) and j.error is None, j.error
        steps = [t for b, t in engine.step_times]
        wall_per_step = (time.perf_counter() - t0) / a.tokens
        return [j.result[0]["token_ids"] for j in jobs], steps, wall_per_step

    half = set(range(0, a.batch, 2))
    run(filtered, half)  # warm-up (allocator, kernels)
    run(plain, set())
    outs, steps_mixed, wall_mixed = run(filtered, half)
    _, steps_none, wall_none = run(filtered, set())
    _, steps_plain, wall_plain = run(plain, set())
    on_tokens = [t for i in half for t in outs[i]]
    off_tokens = [t for i in range(a.batch) if i not in half for t in outs[i]]
    violations = [t for t in on_tokens if t not in allowed]
    off_disallowed = sum(1 for t in off_tokens if t not in allowed)

    # apply() alone on the logits shape of this batch, timed with CUDA events.
    proc = cls(None, torch.device("cuda"), False)
    from gpu_standin.lp_adapter import ProcessorBatch

    pb = ProcessorBatch([proc], [({mod.XARG: 1} if i in half else None, [0], []) for i in range(a.batch)])
    x = torch.randn(a.batch, vocab, device="cuda")
    for _ in range(5):
        pb.apply(x.clone())
    times = []
    for _ in range(50):
        y = x.clone()
        s, e = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        s.record()
        pb.apply(y)
        e.record()
        torch.cuda.synchronize()
        times.append(s.elapsed_time(e))
    masked_ok = bool(torch.isinf(y[0][[t for t in range(vocab) if t not in allowed][:1000]]).all()) and not bool(torch.isinf(y[1]).any())

    med = lambda v: round(statistics.median(v) * 1000, 3)  # noqa: E731
    result = {
        "gpu": torch.cuda.get_device_name(0),
        "torch": torch.__version__,
        "module": os.path.basename(module_file),
        "vllm_interface": "stub of vllm.v1.sample.logits_processor (vLLM 0.11 names); vLLM not installed",
        "vocab_width": vocab,
        "batch": a.batch,
        "filtered_rows": len(half),
        "tokens_per_row": a.tokens,
        "allowed_ids": len(allowed),
        "filtered_tokens_checked": len(on_tokens),
        "filtered_tokens_outside_allowed_set": len(violations),
        "unfiltered_tokens": len(off_tokens),
        "unfiltered_tokens_outside_allowed_set": off_disallowed,
        "apply_alone_masks_right_rows": masked_ok,
        "whole_step_ms_incl_forward_and_prefill_share": {
            "processor_loaded_half_rows_filtered": round(wall_mixed * 1000, 3),
            "processor_loaded_no_row_filtered": round(wall_none * 1000, 3),
            "no_processor": round(wall_plain * 1000, 3),
        },
        "logits_to_token_ms_median (processor + sampling + sync)": {
            "processor_loaded_half_rows_filtered": med(steps_mixed),
            "processor_loaded_no_row_filtered": med(steps_none),
            "no_processor": med(steps_plain),
        },
        "decode_steps_measured": len(steps_mixed),
        "apply_ms_median_cuda_events": round(statistics.median(times), 4),
        "ok": len(violations) == 0 and len(on_tokens) >= 1000 and off_disallowed > 0 and masked_ok,
    }
    filtered.stop()
    plain.stop()
    text = json.dumps(result, indent=2)
    print(text)
    if a.out:
        with open(a.out, "w", encoding="utf-8") as f:
            f.write(text + "\n")
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
