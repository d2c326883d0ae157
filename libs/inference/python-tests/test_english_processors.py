"""Tests of evalgraph's English-only logits processors against stubs of vLLM's interfaces.

Run (from the repository root; python3 alone, no pytest, no vLLM):
    python3 -m unittest discover -s libs/inference/python-tests -v
Without torch only the batch bookkeeping runs (the tensor tests are reported as skipped); with torch (the
GPU machine) the masking runs too, on CUDA when available. EVALGRAPH_ALLOWED_IDS=<qwen3-english-allowed-*.json>
uses the real allowed set (written by english-filter.ts) instead of a synthetic one.
"""
import importlib.util
import json
import os
import random
import sys
import tempfile
import types
import unittest
from collections import namedtuple

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "stubs"))
TEMPLATES = os.path.join(HERE, "..", "src", "english-processors")

try:
    import torch
except ImportError:
    torch = None
    # The processors import torch at the top; their bookkeeping classes never touch it.
    sys.modules.setdefault("torch", types.ModuleType("torch"))

from vllm.v1.sample.logits_processor import BatchUpdate, MoveDirectionality  # noqa: E402
from vllm.v1.worker.gpu.sample.logits_processor.interface import LogitsContext, LogitsProcRequestState  # noqa: E402


def load(name):
    spec = importlib.util.spec_from_file_location(f"evalgraph_english_{name}_under_test", os.path.join(TEMPLATES, f"{name}.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


V1 = load("v1")
MRV2 = load("mrv2")
Params = namedtuple("Params", "extra_args")
ON, OFF = Params({V1.XARG: 1}), Params(None)
VOCAB = 151936  # Qwen3's padded logits width


class PersistentBatchV1:
    """Drives a V1 processor the way vLLM's InputBatch does: a removed request leaves a hole, an added one
    takes a hole first (so removed and added never share an index in one update), then the batch is
    condensed by moving the last requests into holes, and the requests may be reordered by swaps."""

    def __init__(self, proc_update, old_added_shape=False):
        self.slots = []  # index -> request id or None
        self.update = proc_update
        self.old = old_added_shape
        self.params = {}

    def step(self, add=(), remove=(), swaps=()):
        removed, added, moved = [], [], []
        for rid in remove:
            i = self.slots.index(rid)
            self.slots[i] = None
            removed.append(i)
        for rid, params in add:
            self.params[rid] = params
            if removed:
                i = removed.pop()  # vLLM's pop_removed(): reuse a hole, which is then no longer "removed"
                self.slots[i] = rid
            elif None in self.slots:
                i = self.slots.index(None)
                self.slots[i] = rid
            else:
                i = len(self.slots)
                self.slots.append(rid)
            added.append((i, params, []) if self.old else (i, params, [], []))
        # condense: fill holes from the end
        while None in self.slots:
            while self.slots and self.slots[-1] is None:
                self.slots.pop()
            if None not in self.slots:
                break
            hole = self.slots.index(None)
            last = len(self.slots) - 1
            self.slots[hole] = self.slots[last]
            self.slots.pop()
            moved.append((last, hole, MoveDirectionality.UNIDIRECTIONAL))
        for a, b in swaps:
            self.slots[a], self.slots[b] = self.slots[b], self.slots[a]
            moved.append((a, b, MoveDirectionality.SWAP))
        changed = removed or added or moved
        self.update(BatchUpdate(len(self.slots), removed, added, moved) if changed else None)

    def truth(self):
        return {i for i, rid in enumerate(self.slots) if rid is not None and V1.wants_filter(self.params[rid])}


class V1Bookkeeping(unittest.TestCase):
    def run_random(self, old_shape):
        rng = random.Random(7 if old_shape else 11)
        rows = V1.FilteredRows()
        batch = PersistentBatchV1(lambda bu: rows.update(bu, MoveDirectionality.SWAP), old_added_shape=old_shape)
        live, next_id = [], 0
        for _ in range(400):
            remove = rng.sample(live, k=min(len(live), rng.randint(0, 3)))
            for r in remove:
                live.remove(r)
            add = []
            for _ in range(rng.randint(0, 4)):
                add.append((next_id, rng.choice([ON, OFF, Params({V1.XARG: 0}), Params({V1.XARG: True}), Params({})])))
                live.append(next_id)
                next_id += 1
            n = len(live)
            swaps = [tuple(rng.sample(range(n), 2)) for _ in range(rng.randint(0, 2))] if n >= 2 else []
            batch.step(add, remove, swaps)
            self.assertEqual(rows.rows, batch.truth())
        self.assertGreater(next_id, 300)

    def test_random_add_remove_move_swap_four_field_added(self):
        self.run_random(old_shape=False)

    def test_random_add_remove_move_swap_three_field_added(self):
        self.run_random(old_shape=True)

    def test_no_update_keeps_rows(self):
        rows = V1.FilteredRows()
        rows.update(BatchUpdate(2, [], [(0, ON, [], []), (1, OFF, [], [])], []), MoveDirectionality.SWAP)
        rows.update(None, MoveDirectionality.SWAP)
        self.assertEqual(rows.rows, {0})

    def test_switch_values(self):
        for v in (1, True, "1", "true"):
            self.assertTrue(V1.wants_filter(Params({V1.XARG: v})), v)
        for v in (0, False, None, "0"):
            self.assertFalse(V1.wants_filter(Params({V1.XARG: v})), v)
        for mod in (V1, MRV2):
            with self.assertRaises(ValueError):
                mod.check_xarg(Params({mod.XARG: "yes"}))
            mod.check_xarg(Params(None))


class Mrv2Batch:
    """Drives an MRV2 processor the way Model Runner V2 does: requests get a persistent slot from a free list
    (recycled without clearing), add_request at admission, apply_staged_writes every step, and each step
    lists the scheduled requests in a new order, with 1 + num_draft_tokens logits rows per request."""

    def __init__(self, proc, max_slots, earlier_shape=False, seed=0):
        self.proc = proc
        self.free = list(range(max_slots))[::-1]
        self.slot_of, self.params = {}, {}
        self.earlier = earlier_shape
        self.rng = random.Random(seed)

    def admit(self, rid, params):
        slot = self.free.pop()
        self.slot_of[rid] = slot
        self.params[rid] = params
        ret = self.proc.add_request(slot, params)
        if not self.earlier:
            self.assert_bool = ret
        return slot

    def finish(self, rid):
        slot = self.slot_of.pop(rid)
        if self.earlier:
            self.proc.remove_request(slot)
        self.free.append(slot)  # newest shape: no remove hook, the slot is simply recycled

    def layout(self, max_draft):
        order = list(self.slot_of)
        self.rng.shuffle(order)
        idx_mapping = [self.slot_of[r] for r in order]
        expanded, local, owner = [], [], []
        for r in order:
            k = 1 + self.rng.randint(0, max_draft)
            expanded += [self.slot_of[r]] * k
            local += list(range(k))
            owner += [r] * k
        return idx_mapping, expanded, local, owner

    def truth_rows(self, owner):
        return [i for i, r in enumerate(owner) if MRV2.wants_filter(self.params[r])]


class Mrv2Bookkeeping(unittest.TestCase):
    def run_random(self, earlier):
        slots = MRV2.FilteredSlots()

        class Proc:  # the processor's slot hooks, without its tensors
            add_request = staticmethod(slots.add)
            remove_request = staticmethod(slots.remove)

        b = Mrv2Batch(Proc, max_slots=16, earlier_shape=earlier, seed=3 if earlier else 5)
        rng = random.Random(1)
        live, next_id, rows_checked = [], 0, 0
        for _ in range(300):
            for r in rng.sample(live, k=min(len(live), rng.randint(0, 3))):
                live.remove(r)
                b.finish(r)
            while len(live) < 16 and rng.random() < 0.7:
                b.admit(next_id, rng.choice([ON, OFF, Params({MRV2.XARG: 0}), Params({})]))
                live.append(next_id)
                next_id += 1
            idx_mapping, expanded, _, owner = b.layout(max_draft=3)
            self.assertEqual(slots.rows(expanded), b.truth_rows(owner))
            self.assertEqual(slots.any_on(idx_mapping), bool(b.truth_rows(owner)))
            rows_checked += len(expanded)
        self.assertGreater(rows_checked, 1000)

    def test_reordered_rows_and_draft_rows_newest_shape_no_remove_hook(self):
        self.run_random(earlier=False)

    def test_reordered_rows_and_draft_rows_earlier_shape_with_remove_hook(self):
        self.run_random(earlier=True)

    def test_recycled_slot_is_overwritten(self):
        slots = MRV2.FilteredSlots()
        self.assertTrue(slots.add(4, ON))
        self.assertFalse(slots.add(4, OFF))  # next occupant of slot 4, no remove call in between
        self.assertEqual(slots.rows([4, 4, 4]), [])


def allowed_ids():
    path = os.environ.get("EVALGRAPH_ALLOWED_IDS")
    if path:
        with open(path, encoding="utf-8") as f:
            return path, json.load(f)["allowed_token_ids"]
    ids = [i for i in range(151_643) if i % 3 != 1] + [151643, 151645, 151667, 151668]
    fd, path = tempfile.mkstemp(suffix=".json")
    with os.fdopen(fd, "w") as f:
        json.dump({"allowed_token_ids": ids}, f)
    return path, ids


@unittest.skipUnless(torch is not None, "torch not installed: tensor ops run on the GPU machine")
class TensorOps(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
        path, ids = allowed_ids()
        V1.ALLOWED_IDS_FILE = path
        MRV2.ALLOWED_IDS_FILE = path
        cls.allowed = torch.zeros(VOCAB, dtype=torch.bool, device=cls.device)
        cls.allowed[torch.tensor(ids, device=cls.device)] = True

    def check_rows(self, before, after, filtered):
        for r in range(before.shape[0]):
            if r in filtered:
                self.assertTrue(bool(torch.all(after[r][~self.allowed] == float("-inf"))), r)
                self.assertTrue(bool(torch.equal(after[r][self.allowed], before[r][self.allowed])), r)
                self.assertTrue(bool(self.allowed[after[r].argmax()]), r)
            else:
                self.assertTrue(bool(torch.equal(after[r], before[r])), r)

    def test_v1_processor_through_persistent_batch(self):
        proc = V1.EnglishOnlyLogitsProcessor(None, self.device, False)
        self.assertFalse(proc.is_argmax_invariant())
        batch = PersistentBatchV1(proc.update_state)
        batch.step(add=[(0, ON), (1, OFF), (2, Params({V1.XARG: True})), (3, Params({V1.XARG: 0}))])
        rng = random.Random(2)
        for step in range(12):
            x = torch.randn(len(batch.slots), VOCAB, device=self.device)
            y = proc.apply(x.clone())
            self.check_rows(x, y, batch.truth())
            live = [r for r in batch.slots if r is not None]
            remove = rng.sample(live, k=1) if step % 3 == 2 else []
            add = [(100 + step, ON if step % 2 else OFF)]
            n = len(live) - len(remove) + len(add)
            batch.step(add=add, remove=remove, swaps=[(0, n - 1)] if n >= 2 else [])
        batch.step(remove=[r for r in batch.slots if r is not None])
        x = torch.randn(2, VOCAB, device=self.device)
        self.assertIs(proc.apply(x), x)

    def test_mrv2_processor_reordered_and_speculative_rows(self):
        for earlier in (False, True):
            if earlier:
                proc = MRV2.EnglishOnlyLogitsProcessor(None, self.device, False)
            else:
                proc = MRV2.EnglishOnlyLogitsProcessor(None, LogitsProcRequestState(self.device, 32, VOCAB))
            b = Mrv2Batch(proc, max_slots=32, earlier_shape=earlier, seed=9)
            for rid in range(32):
                b.admit(rid, ON if rid % 2 == 0 else OFF)
            checked = 0
            for step in range(6):
                idx_mapping, expanded, local, owner = b.layout(max_draft=3)
                x = torch.randn(len(expanded), VOCAB, device=self.device)
                exp_t = torch.tensor(expanded, dtype=torch.int32, device=self.device)
                proc.apply_staged_writes()
                if earlier:
                    y = proc.apply(x.clone(), exp_t, idx_mapping)
                else:
                    ctx = LogitsContext(exp_t, torch.tensor(idx_mapping, device=self.device), idx_mapping, torch.tensor(local, device=self.device))
                    y = proc.apply(x.clone(), ctx)
                self.check_rows(x, y, set(b.truth_rows(owner)))
                checked += len(expanded)
                done = owner[0]
                b.finish(done)
                b.admit(1000 + step, OFF if MRV2.wants_filter(b.params[done]) else ON)  # recycle with the opposite switch
            self.assertGreater(checked, 32 * 6)


if __name__ == "__main__":
    unittest.main()
