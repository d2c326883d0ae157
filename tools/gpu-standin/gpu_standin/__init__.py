"""GPU stand-in for `vllm serve`: a transformers Qwen3 model with random weights behind vLLM's HTTP API.

It is NOT vLLM. Every answer, /version and the log say "gpu-standin (transformers, random weights; not vLLM)".
"""

VERSION = "gpu-standin 0.1.0"
LABEL = "gpu-standin (transformers, random weights; not vLLM)"
