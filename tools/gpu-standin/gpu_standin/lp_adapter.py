"""A thin adapter that drives vLLM v1 logits processors (vllm.v1.sample.logits_processor, vLLM 0.11's interface)
from the stand-in's decoding loop: construct(vllm_config, device, is_pin_memory), validate_params(params),
update_state(BatchUpdate of removed / moved / added), apply(logits).

Where vLLM is not installed (the GPU machine has none), a stub module with vLLM 0.11's names is installed first, so
the generated module's `from vllm.v1.sample.logits_processor import LogitsProcessor, MoveDirectionality` works.
"""
import enum
import importlib
import importlib.util
import sys
import types
from collections import namedtuple

STUB_NAME = "vllm.v1.sample.logits_processor"
# vLLM 0.11: @dataclass BatchUpdate(batch_size, removed, moved, added); added entries are
# (index, SamplingParams, prompt_tok_ids, output_tok_ids); moved entries are (a, b, MoveDirectionality).
BatchUpdate = namedtuple("BatchUpdate", "batch_size removed moved added")


class ParamsView:
    """The part of SamplingParams the processors read: extra_args (the request's vllm_xargs)."""

    def __init__(self, extra_args):
        self.extra_args = extra_args


def install_stub():
    """Makes `vllm.v1.sample.logits_processor` importable; returns 'vllm' if the real one exists, else 'stub'."""
    if STUB_NAME in sys.modules:
        return "stub" if getattr(sys.modules[STUB_NAME], "GPU_STANDIN_STUB", False) else "vllm"
    if importlib.util.find_spec("vllm") is not None:
        return "vllm"

    class MoveDirectionality(enum.Enum):
        UNIDIRECTIONAL = enum.auto()
        SWAP = enum.auto()

    class LogitsProcessor:
        @classmethod
        def validate_params(cls, sampling_params):
            return None

        def __init__(self, vllm_config, device, is_pin_memory):
            raise NotImplementedError

        def apply(self, logits):
            raise NotImplementedError

        def is_argmax_invariant(self):
            raise NotImplementedError

        def update_state(self, batch_update):
            raise NotImplementedError

    parts = STUB_NAME.split(".")
    for i in range(1, len(parts) + 1):
        name = ".".join(parts[:i])
        mod = sys.modules.get(name) or types.ModuleType(name)
        mod.__path__ = []
        sys.modules[name] = mod
        if i > 1:
            setattr(sys.modules[".".join(parts[: i - 1])], parts[i - 1], mod)
    lp = sys.modules[STUB_NAME]
    lp.GPU_STANDIN_STUB = True
    lp.LogitsProcessor = LogitsProcessor
    lp.MoveDirectionality = MoveDirectionality
    lp.BatchUpdate = BatchUpdate
    return "stub"


def load_processor_classes(fqcns):
    """`module:Class` (module on PYTHONPATH, as vLLM loads --logits-processors) -> classes."""
    install_stub()
    classes = []
    for i, fqcn in enumerate(fqcns or []):
        if ":" not in fqcn:
            raise RuntimeError(f"Failed to load {i}th LogitsProcessor plugin {fqcn}: expected module:Class")
        mod_name, cls_name = fqcn.split(":", 1)
        try:
            classes.append(getattr(importlib.import_module(mod_name), cls_name))
        except Exception as e:  # noqa: BLE001 - reported like vLLM, with the cause
            raise RuntimeError(f"Failed to load {i}th LogitsProcessor plugin {fqcn}: {e}") from e
    return classes


class ProcessorBatch:
    """One decoding batch's view of the loaded processors: rows are added once, removed as they finish."""

    def __init__(self, processors, rows):
        """rows: list of (extra_args, prompt_ids, output_ids list) by batch row."""
        self.processors = processors
        self.live = set(range(len(rows)))
        self.size = len(rows)
        added = [(i, ParamsView(extra), prompt, out) for i, (extra, prompt, out) in enumerate(rows)]
        for p in processors:
            p.update_state(BatchUpdate(batch_size=self.size, removed=[], moved=[], added=added))

    def finish(self, rows):
        """Rows that stopped: removed from every processor at the next step (vLLM's order: removed first)."""
        gone = [r for r in rows if r in self.live]
        if gone:
            self.live.difference_update(gone)
            for p in self.processors:
                p.update_state(BatchUpdate(batch_size=len(self.live), removed=gone, moved=[], added=[]))

    def apply(self, logits):
        for p in self.processors:
            logits = p.apply(logits)
        return logits

    def close(self):
        self.finish(sorted(self.live))
