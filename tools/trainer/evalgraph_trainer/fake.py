"""The fake trainer: trains nothing, in a second, on any CPU. CI and the CPU tests use it to prove the graph
(data -> train -> evaluate) without a GPU; every file it writes says `"trainer": "fake"`."""
import hashlib
import json
import math
import os
import struct
import sys

from .job import Progress, finish, read_examples, total_steps


def _digest(*parts):
    return hashlib.sha256("\u0000".join(parts).encode()).digest()


def fake_tensors(job, data_sha):
    """Tiny LoRA-shaped tensors whose bytes follow the data, the recipe and the seed (so a new set means a new adapter)."""
    r = job["lora"]["rank"]
    width = 8
    key = json.dumps({k: job[k] for k in ("lora", "learning_rate", "seed", "max_length", "schedule")}, sort_keys=True)
    out = {}
    for mod in job["lora"]["target_modules"]:
        for part, shape in (("lora_A", [r, width]), ("lora_B", [width, r])):
            name = f"base_model.model.model.layers.0.self_attn.{mod}.{part}.weight"
            n = shape[0] * shape[1]
            stream = b""
            i = 0
            while len(stream) < 4 * n:
                stream += _digest(data_sha, key, name, str(i))
                i += 1
            vals = [((b / 255.0) - 0.5) * 0.02 for b in stream[: n]]
            out[name] = (shape, struct.pack(f"<{n}f", *vals))
    return out


def write_safetensors(path, tensors):
    """A valid safetensors file (F32 tensors), written with the standard library."""
    header, offset, blobs = {}, 0, []
    for name in sorted(tensors):
        shape, data = tensors[name]
        header[name] = {"dtype": "F32", "shape": shape, "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
        blobs.append(data)
    head = json.dumps(header, separators=(",", ":")).encode()
    head += b" " * ((8 - len(head) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(head)))
        f.write(head)
        for b in blobs:
            f.write(b)


def run(job):
    """Writes the adapter (peft layout), metrics and progress events as the real trainer does."""
    examples = read_examples(job["data_file"])
    with open(job["data_file"], "rb") as f:
        data_sha = hashlib.sha256(f.read()).hexdigest()
    steps = total_steps(job, len(examples))
    progress = Progress(steps)
    progress.emit("start", trainer="fake", examples=len(examples), total_steps=steps)
    curve = []
    for s in range(1, steps + 1):
        # A deterministic, falling curve: what a test can check, not a measurement.
        loss = 2.5 * math.exp(-3.0 * s / steps) + 0.3
        curve.append({"step": s, "loss": round(loss, 6)})
        if s == 1 or s == steps or s % max(1, steps // 10) == 0:
            progress.step(s, loss, job["learning_rate"], 0)
    os.makedirs(job["out_dir"], exist_ok=True)
    base = job["base"]
    adapter_config = {
        "peft_type": "LORA",
        "task_type": "CAUSAL_LM",
        "base_model_name_or_path": base.get("weights") or base["hf_id"],
        "revision": base.get("revision"),
        "r": job["lora"]["rank"],
        "lora_alpha": job["lora"]["alpha"],
        "lora_dropout": job["lora"]["dropout"],
        "target_modules": job["lora"]["target_modules"],
        "bias": "none",
        "inference_mode": True,
        "evalgraph_trainer": "fake",
    }
    with open(os.path.join(job["out_dir"], "adapter_config.json"), "w", encoding="utf-8") as f:
        json.dump(adapter_config, f, indent=2, sort_keys=True)
        f.write("\n")
    weights = os.path.join(job["out_dir"], "adapter_model.safetensors")
    write_safetensors(weights, fake_tensors(job, data_sha))
    metrics = {
        "trainer": "fake",
        "note": "fake trainer (CPU stand-in): nothing was trained; the loss curve is synthetic",
        "run": job["run"],
        "examples": len(examples),
        "steps": steps,
        "loss_curve": curve,
        "tokens": 0,
        "tokens_per_s": None,
        "wall_s": None,
        "adapter_bytes": os.path.getsize(weights),
        "peak_gpu_memory_gib": None,
        "gpu": None,
        "versions": {"python": sys.version.split()[0]},
    }
    return finish(job, progress, metrics)
