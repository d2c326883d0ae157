"""The job file evalgraph writes for one run, and the training arithmetic that needs no torch."""
import json
import math
import sys
import time

EVENT_PREFIX = "EVALGRAPH-TRAIN "
REQUIRED = (
    "run", "trainer", "base", "data_file", "out_dir", "metrics_file", "lora", "learning_rate", "schedule",
    "warmup_ratio", "weight_decay", "batch_size", "gradient_accumulation", "precision", "max_length", "seed", "end_text",
)


class JobError(ValueError):
    """A job file evalgraph should never have written; names the field."""


def load_job(path):
    """Reads and checks a job file (evalgraph validated the config already; this guards the hand-off)."""
    with open(path, encoding="utf-8") as f:
        job = json.load(f)
    missing = [k for k in REQUIRED if k not in job]
    if missing:
        raise JobError(f"{path}: missing field(s) {', '.join(missing)}")
    if (job.get("epochs") is None) == (job.get("max_steps") is None):
        raise JobError(f"{path}: exactly one of epochs or max_steps must be set")
    if job["precision"] not in ("bf16", "fp16", "fp32"):
        raise JobError(f"{path}: precision must be bf16, fp16 or fp32, found {job['precision']!r}")
    if job["schedule"] not in ("linear", "cosine", "constant"):
        raise JobError(f"{path}: schedule must be linear, cosine or constant, found {job['schedule']!r}")
    return job


def read_examples(path):
    """The prepared fine-tuning set: one {id, source, messages} per line."""
    out = []
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            line = line.strip()
            if not line:
                continue
            ex = json.loads(line)
            msgs = ex.get("messages")
            if not isinstance(msgs, list) or len(msgs) < 2 or msgs[-1].get("role") != "assistant":
                raise JobError(f"{path}:{n}: an example must end with an assistant message")
            out.append(ex)
    if not out:
        raise JobError(f"{path}: the training set is empty")
    return out


def total_steps(job, examples):
    """Optimizer steps of the run: max_steps, or epochs over the set in batches of batch_size x accumulation."""
    if job.get("max_steps") is not None:
        return int(job["max_steps"])
    per_step = job["batch_size"] * job["gradient_accumulation"]
    return max(1, math.ceil(job["epochs"] * examples / per_step))


def lr_multiplier(step, total, warmup_ratio, schedule):
    """The learning-rate factor at optimizer step `step` (0-based), as transformers' schedulers compute it."""
    warmup = int(math.ceil(total * warmup_ratio))
    if step < warmup:
        return (step + 1) / warmup
    if schedule == "constant":
        return 1.0
    progress = (step - warmup) / max(1, total - warmup)
    if schedule == "linear":
        return max(0.0, 1.0 - progress)
    return max(0.0, 0.5 * (1.0 + math.cos(math.pi * progress)))


def build_example(prompt_ids, answer_ids, max_length, ignore_index=-100):
    """(input_ids, labels): the loss is on the answer only; truncated to max_length (None when no answer token is left)."""
    ids = list(prompt_ids) + list(answer_ids)
    labels = [ignore_index] * len(prompt_ids) + list(answer_ids)
    ids, labels = ids[:max_length], labels[:max_length]
    if all(lab == ignore_index for lab in labels):
        return None
    return ids, labels


def batches(n_items, batch_size, seed, epoch):
    """Index batches of one epoch, shuffled by (seed, epoch) so a re-run sees the same order."""
    import random

    order = list(range(n_items))
    random.Random(seed * 1_000_003 + epoch).shuffle(order)
    return [order[i:i + batch_size] for i in range(0, n_items, batch_size)]


class Progress:
    """Progress events on stdout, one JSON line each after EVENT_PREFIX; the executor prints step, loss, tok/s and ETA."""

    def __init__(self, total, stream=None):
        self.total = total
        self.stream = stream or sys.stdout
        self.t0 = time.monotonic()
        self.tokens = 0

    def emit(self, event, **fields):
        self.stream.write(EVENT_PREFIX + json.dumps({"event": event, **fields}) + "\n")
        self.stream.flush()

    def step(self, step, loss, lr, tokens):
        self.tokens += tokens
        elapsed = time.monotonic() - self.t0
        tps = self.tokens / elapsed if elapsed > 0 else 0.0
        eta = elapsed / step * (self.total - step) if step else None
        self.emit("step", step=step, total_steps=self.total, loss=round(loss, 6), lr=lr, tokens_per_s=round(tps, 1), elapsed_s=round(elapsed, 2), eta_s=None if eta is None else round(eta, 1))


def finish(job, progress, metrics):
    """Adds the fields every trainer reports (loss ends, batch settings), writes metrics.json and says done."""
    curve = metrics["loss_curve"]
    metrics.update(
        first_loss=curve[0]["loss"],
        final_loss=curve[-1]["loss"],
        batch_size=job["batch_size"],
        gradient_accumulation=job["gradient_accumulation"],
        precision=job["precision"],
    )
    with open(job["metrics_file"], "w", encoding="utf-8") as f:
        json.dump(metrics, f, indent=2, sort_keys=True)
        f.write("\n")
    progress.emit("done", steps=metrics["steps"], final_loss=metrics["final_loss"], adapter_bytes=metrics["adapter_bytes"])
    return metrics
