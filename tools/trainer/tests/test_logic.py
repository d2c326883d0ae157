"""Trainer logic that needs no torch: runs anywhere with Python 3."""
import io
import json
import math
import os
import struct
import tempfile
import unittest

from evalgraph_trainer import fake
from evalgraph_trainer.job import EVENT_PREFIX, JobError, Progress, batches, build_example, load_job, lr_multiplier, total_steps

from .helpers import write_job


class JobTests(unittest.TestCase):
    def test_missing_field_is_named(self):
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "job.json")
            with open(path, "w") as f:
                json.dump({"run": "x"}, f)
            with self.assertRaisesRegex(JobError, "missing field.*trainer"):
                load_job(path)

    def test_epochs_and_steps_exclusive(self):
        with tempfile.TemporaryDirectory() as tmp:
            with self.assertRaisesRegex(JobError, "exactly one of epochs or max_steps"):
                load_job(write_job(tmp, epochs=1, max_steps=5))

    def test_total_steps(self):
        self.assertEqual(total_steps({"max_steps": 7}, 1000), 7)
        self.assertEqual(total_steps({"max_steps": None, "epochs": 2, "batch_size": 4, "gradient_accumulation": 2}, 20), 5)
        self.assertEqual(total_steps({"max_steps": None, "epochs": 1, "batch_size": 16, "gradient_accumulation": 4}, 3), 1)


class ScheduleTests(unittest.TestCase):
    def test_warmup_then_cosine_to_zero(self):
        total = 100
        self.assertAlmostEqual(lr_multiplier(0, total, 0.1, "cosine"), 0.1)
        self.assertAlmostEqual(lr_multiplier(9, total, 0.1, "cosine"), 1.0)
        self.assertAlmostEqual(lr_multiplier(10, total, 0.1, "cosine"), 1.0)
        self.assertAlmostEqual(lr_multiplier(55, total, 0.1, "cosine"), 0.5, places=6)
        self.assertLess(lr_multiplier(99, total, 0.1, "cosine"), 0.001)

    def test_linear_and_constant(self):
        self.assertAlmostEqual(lr_multiplier(50, 100, 0.0, "linear"), 0.5)
        self.assertEqual(lr_multiplier(99, 100, 0.0, "constant"), 1.0)


class ExampleTests(unittest.TestCase):
    def test_loss_only_on_the_answer(self):
        ids, labels = build_example([1, 2, 3], [7, 8], 16)
        self.assertEqual(ids, [1, 2, 3, 7, 8])
        self.assertEqual(labels, [-100, -100, -100, 7, 8])

    def test_truncation_and_dropped_when_no_answer_left(self):
        self.assertEqual(build_example([1, 2, 3], [7, 8], 4), ([1, 2, 3, 7], [-100, -100, -100, 7]))
        self.assertIsNone(build_example([1, 2, 3], [7, 8], 3))

    def test_batches_cover_everything_and_repeat_by_seed(self):
        a = batches(10, 3, seed=1, epoch=0)
        self.assertEqual(sorted(i for b in a for i in b), list(range(10)))
        self.assertEqual(a, batches(10, 3, seed=1, epoch=0))
        self.assertNotEqual(a, batches(10, 3, seed=1, epoch=1))


class ProgressTests(unittest.TestCase):
    def test_events_are_prefixed_json(self):
        out = io.StringIO()
        p = Progress(4, stream=out)
        p.step(1, 2.0, 1e-4, 100)
        line = out.getvalue().strip()
        self.assertTrue(line.startswith(EVENT_PREFIX))
        ev = json.loads(line[len(EVENT_PREFIX):])
        self.assertEqual((ev["event"], ev["step"], ev["total_steps"], ev["loss"]), ("step", 1, 4, 2.0))
        self.assertIsNotNone(ev["eta_s"])


class FakeTrainerTests(unittest.TestCase):
    def run_fake(self, tmp, **over):
        job = load_job(write_job(tmp, **over))
        out = io.StringIO()
        import contextlib

        with contextlib.redirect_stdout(out):
            metrics = fake.run(job)
        return job, metrics, out.getvalue()

    def test_writes_a_peft_layout_and_a_falling_curve(self):
        with tempfile.TemporaryDirectory() as tmp:
            job, metrics, out = self.run_fake(tmp)
            cfg = json.load(open(os.path.join(job["out_dir"], "adapter_config.json")))
            self.assertEqual((cfg["peft_type"], cfg["r"], cfg["evalgraph_trainer"]), ("LORA", 8, "fake"))
            path = os.path.join(job["out_dir"], "adapter_model.safetensors")
            with open(path, "rb") as f:
                n = struct.unpack("<Q", f.read(8))[0]
                header = json.loads(f.read(n))
                body = f.read()
            self.assertEqual(len(header), 4)  # q_proj and v_proj, A and B
            self.assertEqual(max(v["data_offsets"][1] for v in header.values()), len(body))
            self.assertEqual(metrics["trainer"], "fake")
            self.assertEqual(len(metrics["loss_curve"]), 10)
            self.assertLess(metrics["final_loss"], metrics["first_loss"])
            self.assertIn(EVENT_PREFIX + '{"event": "done"', out)

    def test_adapter_bytes_follow_the_data(self):
        with tempfile.TemporaryDirectory() as a, tempfile.TemporaryDirectory() as b, tempfile.TemporaryDirectory() as c:
            ja, _, _ = self.run_fake(a)
            jb, _, _ = self.run_fake(b)
            other = [{"id": "x/0", "source": "x", "messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}]}]
            jc, _, _ = self.run_fake(c, examples=other)
            read = lambda j: open(os.path.join(j["out_dir"], "adapter_model.safetensors"), "rb").read()
            self.assertEqual(read(ja), read(jb))
            self.assertNotEqual(read(ja), read(jc))


if __name__ == "__main__":
    unittest.main()
