"""The transformers + peft trainer on a GPU (Python 3.12, torch, transformers, peft; no network, no weights: the GPU
stand-in's random-init Qwen3 config). Without torch or CUDA these tests FAIL: they exist to run on the GPU machine."""
import contextlib
import io
import json
import os
import tempfile
import unittest

from evalgraph_trainer.job import load_job

from .helpers import write_job


def _require_cuda():
    try:
        import torch  # noqa: F401
    except ImportError as e:
        raise AssertionError(f"torch is not installed ({e}): run these tests on the GPU machine") from e
    import torch

    if not torch.cuda.is_available():
        raise AssertionError("no CUDA device: run these tests on the GPU machine")


class GpuTrainTests(unittest.TestCase):
    def test_loss_falls_and_peft_loads_the_adapter(self):
        _require_cuda()
        import torch
        from peft import PeftModel

        from evalgraph_trainer import hf

        with tempfile.TemporaryDirectory() as tmp:
            # A repetitive set the random-init model can fit in 40 steps.
            job = load_job(write_job(tmp, trainer="transformers", max_steps=40, learning_rate=1e-3, warmup_ratio=0.05))
            with contextlib.redirect_stdout(io.StringIO()):
                metrics = hf.run(job)
            self.assertEqual(len(metrics["loss_curve"]), 40)
            first = sum(p["loss"] for p in metrics["loss_curve"][:5]) / 5
            last = sum(p["loss"] for p in metrics["loss_curve"][-5:]) / 5
            # LoRA on q/v of a random-init base levels off near 6 (the 150-step runs in docs/gpu-validation.md too);
            # measured on an H200: 11.19 -> 5.89 (0.53), so a fall to 0.6 of the start is clear and still fails a
            # trainer that does not learn.
            self.assertLess(last, 0.6 * first, f"loss did not fall clearly: {first:.3f} -> {last:.3f}")
            self.assertGreater(metrics["adapter_bytes"], 0)
            self.assertGreater(metrics["peak_gpu_memory_gib"], 0)
            self.assertGreater(metrics["tokens_per_s"], 0)
            with open(os.path.join(job["out_dir"], "adapter_config.json"), encoding="utf-8") as f:
                cfg = json.load(f)
            self.assertEqual(cfg["r"], 8)
            base = hf.load_base(torch, job["base"], torch.bfloat16, "cuda", 0)
            model = PeftModel.from_pretrained(base, job["out_dir"])
            self.assertTrue(any("lora_A" in n for n, _ in model.named_parameters()))


if __name__ == "__main__":
    unittest.main()
