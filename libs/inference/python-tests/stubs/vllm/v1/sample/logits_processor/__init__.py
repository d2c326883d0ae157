"""Stub of vLLM's V1 logits-processor interface (vllm/v1/sample/logits_processor/interface.py, vLLM 0.10.2
and 0.11): the names, signatures and data shapes a custom processor sees. Hand-written for evalgraph's
tests; it is not vLLM's code and has none of its behaviour beyond these shapes."""
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from enum import Enum, auto


class MoveDirectionality(Enum):
    UNIDIRECTIONAL = auto()  # a -> b, a becomes empty
    SWAP = auto()  # a <-> b


@dataclass(frozen=True)
class BatchUpdate:
    """One step's changes to the persistent batch. added: (index, params, prompt_ids, output_ids) tuples
    (three fields in the interface's first revision); removed: indices; moved: (a, b, MoveDirectionality)."""

    batch_size: int
    removed: list = field(default_factory=list)
    added: list = field(default_factory=list)
    moved: list = field(default_factory=list)


class LogitsProcessor(ABC):
    @classmethod
    def validate_params(cls, sampling_params):
        return None

    @abstractmethod
    def __init__(self, vllm_config, device, is_pin_memory):
        raise NotImplementedError

    @abstractmethod
    def apply(self, logits):
        raise NotImplementedError

    @abstractmethod
    def is_argmax_invariant(self):
        raise NotImplementedError

    @abstractmethod
    def update_state(self, batch_update):
        raise NotImplementedError
