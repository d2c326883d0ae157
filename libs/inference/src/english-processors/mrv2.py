"""evalgraph English-only logits processor for vLLM's Model Runner V2 interface
(vllm.v1.worker.gpu.sample.logits_processor.interface), used from vLLM 0.32.0 on with
VLLM_USE_V2_MODEL_RUNNER=1. Written by @evalgraph/inference (english-processors.ts); do not edit.

Loaded with: vllm serve ... --logits-processors <this module>:EnglishOnlyLogitsProcessor
(the module's folder must be on PYTHONPATH). It is off for every request unless the request carries
"vllm_xargs": {"evalgraph_english_only": 1}; then every token outside the allowed set gets -inf.

Under MRV2 a logits row is not a request: rows are reordered every step and, with speculative decoding,
a request owns one row per draft token. State is kept per persistent request slot (add_request), and
apply() maps rows to slots through expanded_idx_mapping. Two shapes of the interface exist in vLLM's
history and both are accepted: apply(logits, ctx: LogitsContext) with __init__(vllm_config, req_states)
and no remove hook (slots are recycled, add_request must overwrite), and the earlier
apply(logits, expanded_idx_mapping, idx_mapping_np) with __init__(vllm_config, device, is_pin_memory),
remove_request and should_apply.
"""
import json

import torch
from vllm.v1.worker.gpu.sample.logits_processor.interface import LogitsProcessor

ALLOWED_IDS_FILE = "__EVALGRAPH_ALLOWED_IDS_FILE__"
XARG = "evalgraph_english_only"

_ON = (True, 1, "1", "true")
_OFF = (None, False, 0, "0", "false")


def wants_filter(params):
    """Whether a request's SamplingParams switch the filter on (vllm_xargs arrive as extra_args)."""
    extra = getattr(params, "extra_args", None) or {}
    return extra.get(XARG) in _ON


def check_xarg(params):
    """Raises ValueError for a switch value other than 1/0 (vLLM fails that request at admission)."""
    extra = getattr(params, "extra_args", None) or {}
    value = extra.get(XARG)
    if value not in _ON and value not in _OFF:
        raise ValueError(f"vllm_xargs.{XARG} must be 1 or 0, got {value!r}")


class FilteredSlots:
    """Persistent request slots whose request asked for the filter."""

    def __init__(self):
        self.on = set()
        self.version = 0  # bumped on every change, so the device copy is rebuilt only when needed

    def add(self, slot, params):
        # A recycled slot may still hold its previous occupant's flag: always overwrite.
        want = params is not None and wants_filter(params)
        was = slot in self.on
        if want:
            self.on.add(slot)
        else:
            self.on.discard(slot)
        if want != was:
            self.version += 1
        return want

    def remove(self, slot):
        if slot in self.on:
            self.on.discard(slot)
            self.version += 1

    def any_on(self, slots):
        """Host-side check over this step's slots, so unfiltered steps cost no device work or sync."""
        return any(int(s) in self.on for s in slots)

    def rows(self, expanded_slots):
        """Logits rows to filter, given each row's slot (the reference for the tensor path)."""
        return [r for r, s in enumerate(expanded_slots) if int(s) in self.on]


def blocked_mask(allowed, width, device):
    """Bool mask over the logits width: True for every token outside the allowed set."""
    blocked = torch.ones(width, dtype=torch.bool, device=device)
    allowed = allowed.to(device)
    blocked[allowed[allowed < width]] = False
    return blocked


class EnglishOnlyLogitsProcessor(LogitsProcessor):
    @classmethod
    def validate_params(cls, sampling_params):
        check_xarg(sampling_params)

    def __init__(self, vllm_config, *rest):
        first = rest[0] if rest else None
        if first is not None and hasattr(first, "max_num_reqs") and hasattr(first, "device"):
            device, max_slots = first.device, int(first.max_num_reqs)  # LogitsProcRequestState
        else:
            device = first if first is not None else torch.device("cpu")
            sched = getattr(vllm_config, "scheduler_config", None)
            max_slots = int(getattr(sched, "max_num_seqs", 0) or 0)
        with open(ALLOWED_IDS_FILE, encoding="utf-8") as f:
            ids = json.load(f)["allowed_token_ids"]
        self.allowed = torch.tensor(ids, dtype=torch.long, device=device)
        self.blocked = None  # built on first use, when the logits width is known
        self.slots = FilteredSlots()
        self.max_slots = max_slots
        self._flags = None
        self._flags_version = -1

    def is_argmax_invariant(self):
        return False

    def should_apply(self, sampling_params):
        return wants_filter(sampling_params)

    def add_request(self, req_idx, sampling_params):
        return self.slots.add(req_idx, sampling_params)

    def remove_request(self, req_idx):
        self.slots.remove(req_idx)

    def update_state(self, *args):
        pass

    def apply_staged_writes(self):
        pass

    def _slot_flags(self, device, needed):
        size = max(self.max_slots, needed, (max(self.slots.on) + 1) if self.slots.on else 0)
        if self._flags is None or self._flags_version != self.slots.version or self._flags.shape[0] < size or self._flags.device != device:
            flags = torch.zeros(size, dtype=torch.bool)
            if self.slots.on:
                flags[torch.tensor(sorted(self.slots.on), dtype=torch.long)] = True
            self._flags = flags.to(device, non_blocking=True)
            self._flags_version = self.slots.version
        return self._flags

    def apply(self, logits, ctx, idx_mapping_np=None):
        if idx_mapping_np is None:
            expanded, slots_np = ctx.expanded_idx_mapping, ctx.idx_mapping_np
        else:
            expanded, slots_np = ctx, idx_mapping_np
        if len(slots_np) == 0 or not self.slots.any_on(slots_np):
            return logits
        width = logits.shape[-1]
        if self.blocked is None or self.blocked.shape[0] != width or self.blocked.device != logits.device:
            self.blocked = blocked_mask(self.allowed, width, logits.device)
        flags = self._slot_flags(logits.device, int(max(int(s) for s in slots_np)) + 1)
        row_on = flags.index_select(0, expanded.to(device=logits.device, dtype=torch.long))
        # Broadcast mask instead of nonzero(): no device-to-host sync in the decoding step.
        logits.masked_fill_(row_on.unsqueeze(1) & self.blocked.unsqueeze(0), float("-inf"))
        return logits
