"""Collects one gpu-validate.sh run into <out>/summary.json and <out>/report.md (the readiness gates on it).

Usage (on the GPU machine, from tools/device/gpu-validate.sh): python3 tools/device/summarize.py <out> <repo-root>
Reads <out>/machine.txt, steps.tsv, filter.json, the coverage results under results/models/gpu-standin-*/coverage
and the gpu-validation pipeline's report (results/gpu-validation/[candidate/]summary.json). Pure Python.
"""
import glob
import json
import os
import sys

LABEL = "gpu-standin (transformers, random weights; not vLLM)"
MIN_TOK_S = 100.0
MAX_MEM = 0.8


def read_json(path):
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def pipeline_summary(root, name):
    """The pipeline's published (or candidate) summary: readiness, comparisons and each cell's scalar metrics."""
    pipe_dir = os.path.join(root, "results", name)
    pipe = read_json(os.path.join(pipe_dir, "summary.json")) or read_json(os.path.join(pipe_dir, "candidate", "summary.json"))
    if not pipe:
        return None
    return {
        "published": os.path.exists(os.path.join(pipe_dir, "summary.json")),
        "readiness": pipe.get("readiness"),
        "comparisons": pipe.get("comparisons"),
        "cells": [
            {k: cell.get(k) for k in ("id", "model", "variant", "dataset", "status", "server")} | {"metrics": {k: v for k, v in (cell.get("metrics") or {}).items() if not isinstance(v, (list, dict))}}
            for cell in pipe.get("cells", [])
        ],
    }


def main(out, root):
    machine = open(os.path.join(out, "machine.txt"), encoding="utf-8").read() if os.path.exists(os.path.join(out, "machine.txt")) else ""
    steps = []
    if os.path.exists(os.path.join(out, "steps.tsv")):
        for line in open(os.path.join(out, "steps.tsv"), encoding="utf-8"):
            name, rc, ms, cmd = (line.rstrip("\n").split("\t") + ["", "", "", ""])[:4]
            steps.append({"step": name, "exit_code": int(rc or -1), "duration": ms, "command": cmd})
    coverage = []
    for f in sorted(glob.glob(os.path.join(root, "results", "models", "gpu-standin-*", "coverage", "*.json"))):
        r = read_json(f)
        if not r:
            continue
        c = r["checks"]
        tps, frac = c["generate"].get("tokensPerSecond"), c["memory"].get("fraction")
        coverage.append({
            "model": r["model"], "preset": r["preset"], "status": r["status"], "reason": r["reason"], "server_kind": r["server"]["kind"],
            "server_version": r["server"]["version"], "load_s": c["load"]["seconds"], "requests": c["generate"]["requests"],
            "completion_tokens": c["generate"]["completionTokens"], "generate_s": c["generate"]["seconds"], "tok_s": tps,
            "peak_gpu_gib": c["memory"]["peakGiB"], "memory_fraction": frac, "shutdown": c["shutdown"],
            "gate_throughput_gt_100": tps is not None and tps > MIN_TOK_S,
            "gate_memory_lt_80pct": frac is not None and frac < MAX_MEM,
        })
    pipelines = {name: pipeline_summary(root, name) for name in ("gpu-validation", "gpu-lora")}
    training = []
    for f in sorted(glob.glob(os.path.join(root, "results", "train", "*", "metrics.json"))):
        m, run = read_json(f), read_json(os.path.join(os.path.dirname(f), "run.json")) or {}
        if not m:
            continue
        curve = m.get("loss_curve") or []
        training.append({
            "run": m.get("run"), "trainer": m.get("trainer"), "gpu_profile": (run.get("gpu") or {}).get("profile"), "recipe": run.get("recipe"),
            "examples": m.get("examples"), "steps": m.get("steps"), "loss_first": curve[0]["loss"] if curve else None,
            "loss_last": curve[-1]["loss"] if curve else None, "loss_min": min((c["loss"] for c in curve), default=None),
            "loss_every_10": [c for c in curve if c["step"] % 10 == 0 or c["step"] == 1], "tokens": m.get("tokens"), "tokens_per_s": m.get("tokens_per_s"),
            "wall_s": m.get("wall_s"), "peak_gpu_memory_gib": m.get("peak_gpu_memory_gib"), "adapter_bytes": m.get("adapter_bytes"),
            "trainable_params": m.get("trainable_params"), "gpu": m.get("gpu"), "versions": m.get("versions"),
        })
    summary = {
        "label": LABEL,
        "note": "numbers of the GPU stand-in (transformers, random weights) on this GPU, not of vLLM; scores are meaningless",
        "machine": machine,
        "steps": steps,
        "filter": read_json(os.path.join(out, "filter.json")),
        "coverage": coverage,
        "coverage_gates_pass": bool(coverage) and all(c["gate_throughput_gt_100"] and c["gate_memory_lt_80pct"] for c in coverage),
        "pipeline": pipelines["gpu-validation"],
        "lora_pipeline": pipelines["gpu-lora"],
        "training": training,
        "faults": read_json(os.path.join(out, "faults.json")),
    }
    with open(os.path.join(out, "summary.json"), "w", encoding="utf-8") as f:
        json.dump(summary, f, indent=2)
        f.write("\n")

    md = [f"# GPU validation report — {LABEL}", "", "Produced on the GPU machine by tools/device/summarize.py. These are the stand-in's numbers, not vLLM's.", ""]
    md += ["## Machine", "", "```", machine.strip(), "```", "", "## Steps", "", "| step | exit | time | command |", "|---|---|---|---|"]
    md += [f"| {s['step']} | {s['exit_code']} | {s['duration']} | `{s['command']}` |" for s in steps]
    md += ["", "## Coverage and readiness gates (> 100 tok/s, < 80 % of GPU memory)", "", "| model | preset | status | load s | tok/s | > 100 | peak GiB | fraction | < 80 % | shutdown |", "|---|---|---|---|---|---|---|---|---|---|"]
    for c in coverage:
        f = lambda v, n=1: "—" if v is None else f"{v:.{n}f}"  # noqa: E731
        md.append(f"| {c['model']} | {c['preset']} | {c['status']} | {f(c['load_s'])} | {f(c['tok_s'], 0)} | {'pass' if c['gate_throughput_gt_100'] else 'FAIL'} | {f(c['peak_gpu_gib'], 2)} | {f(c['memory_fraction'], 3)} | {'pass' if c['gate_memory_lt_80pct'] else 'FAIL'} | {c['shutdown'].get('detail', '')} |")
    fl = summary["filter"]
    if fl:
        md += ["", "## English-only filter on CUDA", "", "```json", json.dumps(fl, indent=2), "```"]
    for name, pipeline in pipelines.items():
        if not pipeline:
            continue
        md += ["", f"## {name} pipeline", "", f"published: {pipeline['published']}", "", "| variant | dataset | metrics |", "|---|---|---|"]
        md += [f"| {c.get('variant')} | {c.get('dataset')} | {json.dumps(c['metrics'])} |" for c in pipeline["cells"]]
        md += ["", "```json", json.dumps({"readiness": pipeline["readiness"], "comparisons": pipeline["comparisons"]}, indent=2), "```"]
    if training:
        md += ["", "## LoRA training (transformers + peft on this GPU)", "", "| run | profile | batch × accum, precision | steps | loss first → last (min) | tok/s | wall s | peak GiB | adapter bytes |", "|---|---|---|---|---|---|---|---|---|"]
        for t in training:
            r = t["recipe"] or {}
            md.append(f"| {t['run']} | {t['gpu_profile']} | {r.get('batch_size')} × {r.get('gradient_accumulation')}, {r.get('precision')} | {t['steps']} | {t['loss_first']} → {t['loss_last']} ({t['loss_min']}) | {t['tokens_per_s']} | {t['wall_s']} | {t['peak_gpu_memory_gib']} | {t['adapter_bytes']} |")
    if summary["faults"]:
        md += ["", "## Faults (nx killed mid-run)", "", "| signal | answered before | GPU processes 30 s later | re-run requests | answered ones resent |", "|---|---|---|---|---|"]
        for label, r in summary["faults"].items():
            md.append(f"| {label} | {r['answered_before_signal']} | {len(r['gpu_processes_30s_after'])} | {r['rerun_requests']} | {r['rerun_resent_answered']} |")
    with open(os.path.join(out, "report.md"), "w", encoding="utf-8") as f:
        f.write("\n".join(md) + "\n")
    print("\n".join(md))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else os.getcwd())
