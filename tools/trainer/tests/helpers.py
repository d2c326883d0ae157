import json
import os


def write_job(tmp, trainer="fake", examples=None, **over):  # noqa: D103
    """A job file and its training set in `tmp`, as the train executor writes them."""
    data = os.path.join(tmp, "data.jsonl")
    examples = examples if examples is not None else [
        {"id": f"s/{i}", "source": "s", "messages": [{"role": "user", "content": f"What is {i} plus {i}?"}, {"role": "assistant", "content": f"{i} plus {i} is {2 * i}. The answer is {2 * i}."}]}
        for i in range(64)
    ]
    with open(data, "w", encoding="utf-8") as f:
        for ex in examples:
            f.write(json.dumps(ex) + "\n")
    job = {
        "run": "t",
        "trainer": trainer,
        "base": {"hf_id": "gpu-standin/qwen3-small", "revision": "0" * 40, "standin_seed": 0},
        "data_file": data,
        "out_dir": os.path.join(tmp, "adapter"),
        "metrics_file": os.path.join(tmp, "metrics.json"),
        "lora": {"rank": 8, "alpha": 16, "dropout": 0.0, "target_modules": ["q_proj", "v_proj"]},
        "learning_rate": 2e-4,
        "schedule": "cosine",
        "warmup_ratio": 0.0,
        "weight_decay": 0.0,
        "epochs": None,
        "max_steps": 10,
        "batch_size": 4,
        "gradient_accumulation": 2,
        "precision": "bf16",
        "max_length": 256,
        "seed": 0,
        "end_text": "<|im_end|>",
        "chat_template_kwargs": {"enable_thinking": False},
    }
    job.update(over)
    path = os.path.join(tmp, "job.json")
    with open(path, "w", encoding="utf-8") as f:
        json.dump(job, f)
    return path
