"""The GPU stand-in on a real GPU: batching, sampling, log-likelihood, the HTTP server and its shutdown.

Runs on the GPU machine (python3 -m unittest discover -s tools/gpu-standin/tests); skipped where torch or CUDA
is missing, so nothing in the CPU test suite depends on it.
"""
import json
import os
import signal
import socket
import subprocess
import sys
import time
import unittest
import urllib.request

HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, HERE)

try:
    import torch

    HAVE_CUDA = torch.cuda.is_available()
except ImportError:
    HAVE_CUDA = False

SMALL = os.path.join(HERE, "configs", "qwen3-small.json")


def tokenizer():
    from tokenizers import Tokenizer

    from gpu_standin.textproc import tokenizer_dir

    return Tokenizer.from_file(os.path.join(tokenizer_dir(), "tokenizer.json"))


@unittest.skipUnless(HAVE_CUDA, "needs torch with CUDA (the GPU machine)")
class EngineOnGpu(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        from gpu_standin.engine import Engine

        cls.tok = tokenizer()
        # float32, so batched (left-padded) and single decoding agree to rounding and greedy picks match.
        cls.engine = Engine(SMALL, cls.tok, dtype=torch.float32, device="cuda", seed=1, window_ms=50)

    @classmethod
    def tearDownClass(cls):
        cls.engine.stop()

    def gen(self, prompts, **kw):
        from gpu_standin.engine import Job, Sampling

        jobs = [self.engine.submit(Job("generate", self.tok.encode(p).ids, Sampling(**{"max_tokens": 8, "ignore_eos": True, **kw}))) for p in prompts]
        for j in jobs:
            self.assertTrue(j.done.wait(120))
            self.assertIsNone(j.error)
        return [j.result[0]["token_ids"] for j in jobs]

    def test_batched_greedy_equals_one_at_a_time(self):
        prompts = ["The lighthouse", "A much longer prompt about the sea, the wind and the rocks below", "x"]
        batched = self.gen(prompts, temperature=0)
        single = [self.gen([p], temperature=0)[0] for p in prompts]
        self.assertEqual(batched, single)
        self.assertTrue(all(len(t) == 8 for t in batched))

    def test_seeded_sampling_is_reproducible_and_seed_dependent(self):
        kw = dict(temperature=0.7, top_p=0.8, top_k=20, min_p=0.0, max_tokens=16)
        a = self.gen(["Once upon a time"], seed=5, **kw)
        b = self.gen(["Once upon a time"], seed=5, **kw)
        c = self.gen(["Once upon a time"], seed=6, **kw)
        self.assertEqual(a, b)
        self.assertNotEqual(a, c)

    def test_top_k_one_is_greedy(self):
        self.assertEqual(self.gen(["Hello"], temperature=1.0, top_k=1, seed=3), self.gen(["Hello"], temperature=0))

    def test_score_logprobs_match_a_direct_forward_pass(self):
        from gpu_standin.engine import Job

        ids = self.tok.encode("Question: what is two plus two?\nAnswer: four").ids
        job = self.engine.submit(Job("score", ids))
        self.assertTrue(job.done.wait(120))
        with torch.inference_mode():
            lp = self.engine.model(input_ids=torch.tensor([ids], device="cuda")).logits[0].float().log_softmax(-1)
        want = [lp[i - 1, ids[i]].item() for i in range(1, len(ids))]
        got = job.result["token_logprobs"]
        self.assertEqual(len(got), len(ids) - 1)
        self.assertLess(max(abs(x - y) for x, y in zip(got, want)), 1e-3)
        self.assertEqual(job.result["top_ids"][-1], int(lp[-1].argmax()))

    def test_processor_adapter_sees_added_and_removed_rows(self):
        from gpu_standin.lp_adapter import ProcessorBatch

        calls = []

        class Recorder:
            def update_state(self, bu):
                calls.append((bu.batch_size, list(bu.removed), [a[0] for a in bu.added], [a[1].extra_args for a in bu.added]))

            def apply(self, logits):
                logits[0, 5:] = float("-inf")
                return logits

        pb = ProcessorBatch([Recorder()], [({"x": 1}, [1], []), (None, [2], [])])
        out = pb.apply(torch.zeros(2, 10, device="cuda"))
        pb.finish([1])
        pb.close()
        self.assertEqual(calls, [(2, [], [0, 1], [{"x": 1}, None]), (1, [1], [], []), (0, [0], [], [])])
        self.assertTrue(torch.isinf(out[0, 5:]).all() and not torch.isinf(out[1]).any())


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def http(url, body=None, timeout=120):
    req = urllib.request.Request(url, data=json.dumps(body).encode() if body is not None else None, headers={"content-type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            raw = r.read().decode()
            return r.status, (json.loads(raw) if raw.startswith("{") else raw)
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read().decode())


def gpu_pids():
    out = subprocess.run(["nvidia-smi", "--query-compute-apps=pid", "--format=csv,noheader"], capture_output=True, text=True).stdout
    return {int(x) for x in out.split() if x.strip().isdigit()}


def make_adapter(path, rank, seed):
    """A peft LoRA adapter for the small model with random (non-zero) A and B, so it changes what the model says."""
    from peft import LoraConfig, get_peft_model

    from gpu_standin.engine import load_model

    torch.manual_seed(1)
    base, _ = load_model(SMALL, torch.float32, "cuda")
    torch.manual_seed(seed)
    m = get_peft_model(base, LoraConfig(r=rank, lora_alpha=rank, target_modules=["q_proj", "v_proj", "down_proj"], init_lora_weights=False))
    m.save_pretrained(path)
    del m, base
    torch.cuda.empty_cache()


@unittest.skipUnless(HAVE_CUDA, "needs torch with CUDA (the GPU machine)")
class LoraOnGpu(unittest.TestCase):
    """--enable-lora: peft adapters served beside the base model, one batch holding requests for each."""

    @classmethod
    def setUpClass(cls):
        import tempfile

        from gpu_standin.engine import Engine

        cls.tmp = tempfile.mkdtemp()
        cls.paths = {"a": os.path.join(cls.tmp, "a"), "b": os.path.join(cls.tmp, "b")}
        make_adapter(cls.paths["a"], 8, 100)
        make_adapter(cls.paths["b"], 16, 200)
        cls.tok = tokenizer()
        cls.plain = Engine(SMALL, cls.tok, dtype=torch.float32, device="cuda", seed=1, window_ms=50)
        cls.lora = Engine(SMALL, cls.tok, dtype=torch.float32, device="cuda", seed=1, window_ms=50, lora_modules=list(cls.paths.items()), max_lora_rank=16)

    @classmethod
    def tearDownClass(cls):
        cls.plain.stop()
        cls.lora.stop()

    def gen(self, engine, reqs):
        from gpu_standin.engine import Job, Sampling

        jobs = [engine.submit(Job("generate", self.tok.encode(p).ids, Sampling(max_tokens=8, temperature=0, ignore_eos=True), 1, a)) for p, a in reqs]
        for j in jobs:
            self.assertTrue(j.done.wait(120))
            self.assertIsNone(j.error)
        return [j.result[0]["token_ids"] for j in jobs]

    def test_mixed_batch_equals_one_at_a_time_and_adapters_change_the_output(self):
        reqs = [(p, a) for p in ("The lighthouse", "Seven boats sailed") for a in (None, "a", "b")]
        batched = self.gen(self.lora, reqs)
        single = [self.gen(self.lora, [r])[0] for r in reqs]
        self.assertEqual(batched, single)
        base_only = self.gen(self.plain, [(p, None) for p, _ in reqs])
        for (p, a), got, base in zip(reqs, batched, base_only):
            if a is None:
                self.assertEqual(got, base, "the base model answers as a server without adapters")
            else:
                self.assertNotEqual(got, base, f"adapter {a} changes the answer to {p!r}")
        self.assertNotEqual(batched[1], batched[2])

    def test_log_likelihood_uses_the_named_adapter(self):
        from gpu_standin.engine import Job

        ids = self.tok.encode("The quick brown fox jumps over the lazy dog").ids
        jobs = [self.lora.submit(Job("score", ids, adapter=a)) for a in (None, "a")]
        for j in jobs:
            self.assertTrue(j.done.wait(120))
        base_job = self.plain.submit(Job("score", ids))
        self.assertTrue(base_job.done.wait(120))
        self.assertEqual(len(jobs[0].result["token_logprobs"]), len(ids) - 1)
        for x, y in zip(jobs[0].result["token_logprobs"], base_job.result["token_logprobs"]):
            self.assertAlmostEqual(x, y, delta=1e-3)
        self.assertGreater(max(abs(x - y) for x, y in zip(jobs[1].result["token_logprobs"], base_job.result["token_logprobs"])), 1e-2)

    def test_rank_above_max_lora_rank_is_refused(self):
        from gpu_standin.engine import Engine

        with self.assertRaisesRegex(ValueError, "LoRA rank 16 of b is greater than max_lora_rank 8"):
            Engine(SMALL, self.tok, dtype=torch.float32, device="cuda", seed=1, lora_modules=[("b", self.paths["b"])], max_lora_rank=8)


@unittest.skipUnless(HAVE_CUDA, "needs torch with CUDA (the GPU machine)")
class CompileCacheOnGpu(unittest.TestCase):
    """With a compile cache folder (VLLM_CACHE_ROOT in the server), the forward pass is compiled at start and the
    inductor cache is written there; a second start finds it (warm) and still generates. Whether the warm start is
    faster is a measurement, in docs/gpu-validation.md, not an assertion."""

    def test_cold_then_warm_start_and_the_compiled_model_generates(self):
        import tempfile

        from gpu_standin.engine import Engine, Job, Sampling, has_files

        tok = tokenizer()

        def start_and_generate(cache):
            engine = Engine(SMALL, tok, dtype=torch.bfloat16, device="cuda", seed=1, compile_cache_dir=cache)
            try:
                job = engine.submit(Job("generate", tok.encode("The lighthouse").ids, Sampling(max_tokens=8, ignore_eos=True, temperature=0)))
                self.assertTrue(job.done.wait(300))
                self.assertIsNone(job.error)
                self.assertEqual(len(job.result[0]["token_ids"]), 8)
                return engine.compiled
            finally:
                engine.stop()

        with tempfile.TemporaryDirectory() as tmp:
            cache = os.path.join(tmp, "torch_compile_cache")
            cold_s, warm = start_and_generate(cache)
            self.assertFalse(warm)
            self.assertTrue(has_files(os.path.join(cache, "fxgraph")), f"no inductor FX graph cache under {cache}: {os.listdir(cache)}")
            warm_s, warm = start_and_generate(cache)
            self.assertTrue(warm)
            print(f"compile: cold {cold_s:.1f} s, warm {warm_s:.1f} s (one process)", file=sys.stderr)


@unittest.skipUnless(HAVE_CUDA, "needs torch with CUDA (the GPU machine)")
class ServerOnGpu(unittest.TestCase):
    def test_http_api_and_clean_sigterm(self):
        port = free_port()
        proc = subprocess.Popen(
            [os.path.join(HERE, "vllm"), "serve", "gpu-standin/qwen3-small", "--port", str(port), "--served-model-name", "small",
             "--reasoning-parser", "qwen3", "--max-model-len", "2048", "--gpu-memory-utilization", "0.5", "--seed", "0"],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.time() + 180
            while True:
                try:
                    if http(base + "/health", timeout=2)[0] == 200:
                        break
                except OSError:
                    pass
                self.assertIsNone(proc.poll(), "the server exited while loading")
                self.assertLess(time.time(), deadline)
                time.sleep(0.5)
            self.assertIn(proc.pid, gpu_pids())
            self.assertEqual(http(base + "/version")[1]["runtime"], "gpu-standin (transformers, random weights; not vLLM)")
            self.assertEqual(http(base + "/v1/models")[1]["data"][0]["id"], "small")
            status, chat = http(base + "/v1/chat/completions", {"model": "small", "messages": [{"role": "user", "content": "Hi"}], "n": 2, "max_tokens": 12,
                                                               "temperature": 0.7, "top_p": 0.8, "top_k": 20, "min_p": 0, "seed": 1, "ignore_eos": True,
                                                               "chat_template_kwargs": {"enable_thinking": False}})
            self.assertEqual(status, 200, chat)
            self.assertEqual(len(chat["choices"]), 2)
            self.assertEqual(chat["usage"]["completion_tokens"], 24)
            self.assertIn("not vLLM", chat["system_fingerprint"])
            status, comp = http(base + "/v1/completions", {"model": "small", "prompt": "Question: 2+2?\nAnswer: 4", "max_tokens": 1, "temperature": 0, "logprobs": 1, "echo": True})
            self.assertEqual(status, 200, comp)
            lp = comp["choices"][0]["logprobs"]
            self.assertIsNone(lp["token_logprobs"][0])
            self.assertTrue(all(isinstance(x, float) and x <= 0 for x in lp["token_logprobs"][1:]))
            self.assertEqual(comp["choices"][0]["text"][: len("Question: 2+2?\nAnswer: 4")], "Question: 2+2?\nAnswer: 4")
            self.assertEqual(len(lp["tokens"]), len(lp["text_offset"]))
            status, err = http(base + "/v1/chat/completions", {"model": "small", "messages": [{"role": "user", "content": "Hi"}], "max_tokens": 5000})
            self.assertEqual(status, 400)
            self.assertIn("maximum context length is 2048", err["error"]["message"])
            self.assertEqual(http(base + "/v1/chat/completions", {"model": "other", "messages": [{"role": "user", "content": "x"}]})[0], 404)
            metrics = http(base + "/metrics")[1]
            self.assertRegex(metrics, r'vllm:generation_tokens_total\{model_name="small"\} (2[5-9]|[3-9]\d|\d{3,})\.0')
        finally:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                rc = proc.wait(60)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                rc = proc.wait()
            log = proc.stdout.read()
        self.assertEqual(rc, 0, log)
        self.assertIn("SIGTERM received", log)
        deadline = time.time() + 30
        while proc.pid in gpu_pids() and time.time() < deadline:
            time.sleep(0.5)
        self.assertNotIn(proc.pid, gpu_pids())


if __name__ == "__main__":
    unittest.main()
