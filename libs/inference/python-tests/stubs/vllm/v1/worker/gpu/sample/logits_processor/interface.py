"""Stub of vLLM's Model Runner V2 logits-processor interface
(vllm/v1/worker/gpu/sample/logits_processor/interface.py, the shape documented for vLLM 0.32): the names,
signatures and data shapes a custom processor sees. Hand-written for evalgraph's tests; not vLLM's code."""
from abc import ABC, abstractmethod
from dataclasses import dataclass


@dataclass(frozen=True)
class LogitsProcRequestState:
    device: object
    max_num_reqs: int
    vocab_size: int


@dataclass(frozen=True)
class LogitsContext:
    # [num_logits_rows] row -> persistent request slot
    expanded_idx_mapping: object
    # [num_reqs] batch position -> persistent request slot (device and host copies)
    idx_mapping: object
    idx_mapping_np: object
    # [num_logits_rows] row -> its offset among its request's rows (draft position)
    expanded_local_pos: object
    input_ids: object = None
    pos: object = None
    seq_lens_upper_bound_np: object = None


class LogitsProcessor(ABC):
    def __init__(self, vllm_config, req_states):
        pass

    @classmethod
    def validate_params(cls, sampling_params):
        return None

    def add_request(self, req_idx, sampling_params):
        return True

    def apply_staged_writes(self):
        pass

    @abstractmethod
    def apply(self, logits, ctx):
        raise NotImplementedError
