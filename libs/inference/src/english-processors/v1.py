"""evalgraph English-only logits processor for vLLM's V1 interface (vllm.v1.sample.logits_processor).

Used with vLLM 0.10.2 to 0.31.x, and with newer vLLM when the legacy model runner is chosen
(VLLM_USE_V2_MODEL_RUNNER=0). Written by @evalgraph/inference (english-processors.ts); do not edit.

Loaded with: vllm serve ... --logits-processors <this module>:EnglishOnlyLogitsProcessor
(the module's folder must be on PYTHONPATH). It is off for every request unless the request carries
"vllm_xargs": {"evalgraph_english_only": 1}; then every token outside the allowed set gets -inf.
vLLM calls, every engine step: update_state(batch_update or None), then apply(logits) where row i of
logits is the request at persistent-batch index i.
"""
import json

import torch
from vllm.v1.sample.logits_processor import LogitsProcessor, MoveDirectionality

ALLOWED_IDS_FILE = "__EVALGRAPH_ALLOWED_IDS_FILE__"
XARG = "evalgraph_english_only"

_ON = (True, 1, "1", "true")
_OFF = (None, False, 0, "0", "false")


def wants_filter(params):
    """Whether a request's SamplingParams switch the filter on (vllm_xargs arrive as extra_args)."""
    extra = getattr(params, "extra_args", None) or {}
    return extra.get(XARG) in _ON


def check_xarg(params):
    """Raises ValueError for a switch value other than 1/0 (vLLM turns it into a 400 for that request)."""
    extra = getattr(params, "extra_args", None) or {}
    value = extra.get(XARG)
    if value not in _ON and value not in _OFF:
        raise ValueError(f"vllm_xargs.{XARG} must be 1 or 0, got {value!r}")


class FilteredRows:
    """Persistent-batch indices whose request asked for the filter, kept in step with vLLM's BatchUpdate."""

    def __init__(self):
        self.rows = set()

    def update(self, batch_update, swap):
        if batch_update is None:
            return
        # Removed and added indices never overlap in one update (a reused slot is taken off `removed`).
        # `added` holds (index, params, prompt_ids, output_ids); only the first two are read, so the
        # three-field tuple of the interface's first revision works as well.
        for index in batch_update.removed:
            self.rows.discard(index)
        for added in batch_update.added:
            index, params = added[0], added[1]
            if params is not None and wants_filter(params):
                self.rows.add(index)
            else:
                self.rows.discard(index)
        for a, b, direction in batch_update.moved:
            a_on, b_on = a in self.rows, b in self.rows
            if direction == swap:
                (self.rows.add if b_on else self.rows.discard)(a)
                (self.rows.add if a_on else self.rows.discard)(b)
            else:
                (self.rows.add if a_on else self.rows.discard)(b)
                self.rows.discard(a)


def blocked_mask(allowed, width, device):
    """Bool mask over the logits width: True for every token outside the allowed set."""
    blocked = torch.ones(width, dtype=torch.bool, device=device)
    allowed = allowed.to(device)
    blocked[allowed[allowed < width]] = False
    return blocked


class EnglishOnlyLogitsProcessor(LogitsProcessor):
    @classmethod
    def validate_params(cls, params):
        check_xarg(params)

    def __init__(self, vllm_config, device, is_pin_memory):
        with open(ALLOWED_IDS_FILE, encoding="utf-8") as f:
            ids = json.load(f)["allowed_token_ids"]
        self.allowed = torch.tensor(ids, dtype=torch.long, device=device)
        self.blocked = None  # built on first use, when the logits width is known
        self.state = FilteredRows()

    def is_argmax_invariant(self):
        return False

    def update_state(self, batch_update):
        self.state.update(batch_update, MoveDirectionality.SWAP)

    def apply(self, logits):
        if not self.state.rows:
            return logits
        width = logits.shape[-1]
        if self.blocked is None or self.blocked.shape[0] != width or self.blocked.device != logits.device:
            self.blocked = blocked_mask(self.allowed, width, logits.device)
        rows = torch.tensor(sorted(self.state.rows), dtype=torch.long, device=logits.device)
        sub = logits.index_select(0, rows)
        sub.masked_fill_(self.blocked.unsqueeze(0), float("-inf"))
        logits.index_copy_(0, rows, sub)
        return logits
