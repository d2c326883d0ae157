"""The GPU side: a transformers Qwen3 model with random weights, a dynamic batcher and per-row sampling."""
import contextlib
import json
import os
import queue
import threading
import time
import traceback

import torch

from .lp_adapter import ProcessorBatch

EOS_IDS = (151643, 151645)  # <|endoftext|>, <|im_end|>
PAD_ID = 151643


class Sampling:
    """Per-sequence generation settings (the request's, checked by the server)."""

    def __init__(self, max_tokens, temperature=1.0, top_p=1.0, top_k=-1, min_p=0.0, seed=None, stop=(), ignore_eos=False, extra_args=None, allowed_token_ids=None):
        self.max_tokens = int(max_tokens)
        self.temperature = float(temperature)
        self.top_p = float(top_p)
        self.top_k = int(top_k) if top_k is not None else -1
        self.min_p = float(min_p)
        self.seed = seed
        self.stop = list(stop or ())
        self.ignore_eos = bool(ignore_eos)
        self.extra_args = extra_args
        self.allowed_token_ids = allowed_token_ids


class Job:
    """One request: n sequences to generate, or one prompt to score (echo + logprobs)."""

    def __init__(self, kind, prompt_ids, sampling=None, n=1, adapter=None):
        self.kind = kind  # "generate" | "score"
        self.prompt_ids = list(prompt_ids)
        self.sampling = sampling
        self.n = n
        self.adapter = adapter  # a LoRA adapter's name, None for the base model
        self.done = threading.Event()
        self.result = None
        self.error = None


def load_model(config_file, dtype, device):
    """A Qwen3ForCausalLM with random weights built directly on the device in the given dtype."""
    from transformers import AutoConfig, AutoModelForCausalLM

    with open(config_file, encoding="utf-8") as f:
        cfg_dict = json.load(f)
    cfg_dict = {k: v for k, v in cfg_dict.items() if not k.startswith("_")}
    cfg = AutoConfig.for_model(cfg_dict.pop("model_type"), **cfg_dict)
    prev = torch.get_default_dtype()
    torch.set_default_dtype(dtype)
    try:
        with torch.device(device):
            model = AutoModelForCausalLM.from_config(cfg)
    finally:
        torch.set_default_dtype(prev)
    model = model.to(device=device, dtype=dtype).eval()
    return model, cfg


def has_files(folder):
    """Whether a folder exists and holds anything."""
    if not os.path.isdir(folder):
        return False
    with os.scandir(folder) as it:
        return any(True for _ in it)


def adapter_rank(path):
    """The LoRA rank `r` of a peft adapter folder (adapter_config.json)."""
    with open(os.path.join(path, "adapter_config.json"), encoding="utf-8") as f:
        return int(json.load(f)["r"])


def load_adapters(model, modules, max_lora_rank):
    """Wraps the base model in peft with every (name, path) adapter loaded; a rank above max_lora_rank is refused as vLLM does."""
    from peft import PeftModel

    for name, path in modules:
        r = adapter_rank(path)
        if r > max_lora_rank:
            raise ValueError(f"LoRA rank {r} of {name} is greater than max_lora_rank {max_lora_rank}.")
    (first, first_path), rest = modules[0], modules[1:]
    model = PeftModel.from_pretrained(model, first_path, adapter_name=first)
    for name, path in rest:
        model.load_adapter(path, adapter_name=name)
    return model.eval()


def sample_tokens(logits, samplings, generators):
    """Samples one token per row: temperature, top_k, top_p, min_p as vLLM applies them; greedy at T≈0."""
    B, V = logits.shape
    dev = logits.device
    temps = torch.tensor([s.temperature for s in samplings], device=dev)
    greedy = temps < 1e-5
    greedy_tok = logits.argmax(-1)
    if bool(greedy.all()):
        return greedy_tok
    x = logits / torch.where(greedy, torch.ones_like(temps), temps)[:, None]
    ks = [s.top_k if 0 < s.top_k < V else 0 for s in samplings]
    if any(ks):
        kmax = max(ks)
        top = x.topk(kmax, dim=-1).values
        k_idx = torch.tensor([(k if k else kmax) - 1 for k in ks], device=dev)
        kth = top.gather(1, k_idx[:, None])
        use = torch.tensor([k > 0 for k in ks], device=dev)[:, None]
        x = x.masked_fill(use & (x < kth), float("-inf"))
    probs = x.softmax(-1)
    min_ps = torch.tensor([s.min_p for s in samplings], device=dev)
    if bool((min_ps > 0).any()):
        thresh = probs.max(-1, keepdim=True).values * min_ps[:, None]
        probs = probs.masked_fill(probs < thresh, 0.0)
    top_ps = torch.tensor([s.top_p for s in samplings], device=dev)
    if bool((top_ps < 1.0).any()):
        sp, si = probs.sort(-1, descending=True)
        cum = sp.cumsum(-1)
        drop = (cum - sp) > top_ps[:, None] * cum[:, -1:]
        sp = sp.masked_fill(drop, 0.0)
        probs = torch.zeros_like(probs).scatter_(1, si, sp)
    q = torch.empty_like(probs)
    for i, g in enumerate(generators):
        q[i].exponential_(generator=g)
    tok = (probs / q).argmax(-1)
    return torch.where(greedy, greedy_tok, tok)


class Engine:
    """Batches concurrent requests on one GPU: jobs that arrive within `window_ms` (or while a batch runs) decode together."""

    def __init__(self, config_file, tokenizer, *, dtype=torch.bfloat16, device="cuda", max_num_seqs=128, max_model_len=4096, seed=0, processor_classes=(), window_ms=5.0, score_tokens_per_pass=8192, lora_modules=(), max_lora_rank=16, log=None, stats_interval_s=10.0, compile_cache_dir=None):
        self.device = torch.device(device)
        torch.manual_seed(seed)
        t0 = time.perf_counter()
        # Seeded before the build: the trainer rebuilds these exact base weights to train adapters on them.
        self.model, self.config = load_model(config_file, dtype, self.device)
        self.adapters = [name for name, _ in lora_modules]
        if lora_modules:
            self.model = load_adapters(self.model, list(lora_modules), max_lora_rank)
        if self.device.type == "cuda":
            torch.cuda.synchronize()
        self.load_seconds = time.perf_counter() - t0
        # (seconds, whether the cache held artifacts before): None when the forward pass runs eagerly.
        self.compiled = self._compile(compile_cache_dir) if compile_cache_dir else None
        self.tokenizer = tokenizer
        self.max_num_seqs = max_num_seqs
        self.max_model_len = max_model_len
        self.seed = seed
        self.window = window_ms / 1000.0
        self.score_tokens_per_pass = score_tokens_per_pass
        self.processors = [cls(None, self.device, False) for cls in processor_classes]
        self.processor_classes = list(processor_classes)
        self.queue = queue.Queue()
        self.lock = threading.Lock()
        self.counters = {"prompt_tokens": 0, "generation_tokens": 0, "running": 0, "waiting": 0, "success_stop": 0, "success_length": 0, "kv_cache_usage": 0.0}
        c = self.config
        head_dim = getattr(c, "head_dim", None) or c.hidden_size // c.num_attention_heads
        self.kv_bytes_per_token = 2 * c.num_hidden_layers * c.num_key_value_heads * head_dim * torch.finfo(dtype).bits // 8
        self.step_times = []  # (batch rows, seconds) of decode steps, for the filter-cost measurement
        self.stopping = False
        # vLLM logs its engine's throughput every few seconds and every failed request; so does this stand-in.
        self.log = log
        self.stats_interval = stats_interval_s
        self.last_stats = (time.perf_counter(), 0, 0)
        self.thread = threading.Thread(target=self._loop, name="gpu-standin-engine", daemon=True)
        self.thread.start()

    @torch.inference_mode()
    def _compile(self, cache_dir):
        """vLLM compiles its model with torch.compile when it starts and keeps the artifacts under VLLM_CACHE_ROOT,
        so its second start is warm. The stand-in does the same with its forward pass: the inductor and Triton caches
        live in `cache_dir`, and a warm-up prefill and decode step compile (or load) both graphs before the server
        says it is ready."""
        warm = has_files(cache_dir)
        os.makedirs(cache_dir, exist_ok=True)
        # Read by inductor when it first needs a cache folder, which is the warm-up below.
        os.environ["TORCHINDUCTOR_CACHE_DIR"] = cache_dir
        os.environ["TRITON_CACHE_DIR"] = os.path.join(cache_dir, "triton")
        import torch._inductor.config as inductor_config

        inductor_config.fx_graph_cache = True
        t0 = time.perf_counter()
        self.model.forward = torch.compile(self.model.forward, dynamic=True)
        ids = torch.full((2, 16), 100, dtype=torch.long, device=self.device)
        mask = torch.ones_like(ids)
        pos = mask.cumsum(-1) - 1
        out = self.model(input_ids=ids, attention_mask=mask, position_ids=pos, use_cache=True, logits_to_keep=1)
        nxt = out.logits[:, -1, :].argmax(-1, keepdim=True)
        mask = torch.cat([mask, mask.new_ones((2, 1))], dim=1)
        self.model(input_ids=nxt, attention_mask=mask, position_ids=pos[:, -1:] + 1, past_key_values=out.past_key_values, use_cache=True)
        if self.device.type == "cuda":
            torch.cuda.synchronize()
        return time.perf_counter() - t0, warm

    def kv_budget_bytes(self):
        if self.device.type != "cuda":
            return 1
        total = torch.cuda.get_device_properties(self.device).total_memory
        return max(1, total * 0.9 - torch.cuda.memory_allocated(self.device))

    def submit(self, job):
        with self.lock:
            self.counters["waiting"] += 1
        self.queue.put(job)
        return job

    def stop(self):
        self.stopping = True
        self.queue.put(None)

    # ---- the batching loop ----
    def _loop(self):
        while not self.stopping:
            first = self.queue.get()
            if first is None:
                return
            jobs = [first]
            rows = first.n if first.kind == "generate" else 1
            deadline = time.perf_counter() + self.window
            while rows < self.max_num_seqs:
                left = deadline - time.perf_counter()
                try:
                    j = self.queue.get(timeout=max(left, 0)) if left > 0 else self.queue.get_nowait()
                except queue.Empty:
                    break
                if j is None:
                    self.stopping = True
                    break
                jobs.append(j)
                rows += j.n if j.kind == "generate" else 1
            with self.lock:
                self.counters["waiting"] -= len(jobs)
                self.counters["running"] += len(jobs)
            try:
                # One adapter per forward pass: the batch splits by the adapter its requests name.
                for adapter in dict.fromkeys(j.adapter for j in jobs):
                    group = [j for j in jobs if j.adapter == adapter]
                    with self._adapter(adapter):
                        scores = [j for j in group if j.kind == "score"]
                        gens = [j for j in group if j.kind == "generate"]
                        if scores:
                            self._run_guarded(self._score, scores, adapter)
                        if gens:
                            self._run_guarded(self._generate, gens, adapter)
            finally:
                with self.lock:
                    self.counters["running"] -= len(jobs)
                    self.counters["kv_cache_usage"] = 0.0
                self._log_stats()

    def _log_stats(self):
        if not self.log:
            return
        now = time.perf_counter()
        t0, prompt0, gen0 = self.last_stats
        if now - t0 < self.stats_interval:
            return
        c = self.counters
        dt = now - t0
        self.log("INFO", f"Avg prompt throughput: {(c['prompt_tokens'] - prompt0) / dt:.1f} tokens/s, Avg generation throughput: {(c['generation_tokens'] - gen0) / dt:.1f} tokens/s, Running: {c['running']} reqs, Waiting: {self.queue.qsize()} reqs")
        self.last_stats = (now, c["prompt_tokens"], c["generation_tokens"])

    def _adapter(self, name):
        """The weights a forward pass uses: the named adapter on the base model, or the base model alone."""
        if not self.adapters:
            return contextlib.nullcontext()
        if name is None:
            return self.model.disable_adapter()
        self.model.set_adapter(name)
        return contextlib.nullcontext()

    def _run_guarded(self, fn, jobs, adapter=None):
        try:
            fn(jobs)
        except Exception as e:  # noqa: BLE001 - every waiting request gets the error, the server keeps running
            if self.log:
                self.log("ERROR", f"{len(jobs)} request(s) for {adapter or 'the base model'} failed: {traceback.format_exc()}")
            for j in jobs:
                if not j.done.is_set():
                    j.error = f"{type(e).__name__}: {e}"
                    j.done.set()

    # ---- log-likelihood: one forward pass over each prompt ----
    @torch.inference_mode()
    def _score(self, jobs):
        i = 0
        while i < len(jobs):
            chunk, tokens = [], 0
            while i < len(jobs) and (not chunk or tokens + len(jobs[i].prompt_ids) <= self.score_tokens_per_pass):
                chunk.append(jobs[i])
                tokens += len(jobs[i].prompt_ids)
                i += 1
            L = max(len(j.prompt_ids) for j in chunk)
            ids = torch.full((len(chunk), L), PAD_ID, dtype=torch.long)
            mask = torch.zeros((len(chunk), L), dtype=torch.long)
            for r, j in enumerate(chunk):
                ids[r, : len(j.prompt_ids)] = torch.tensor(j.prompt_ids)
                mask[r, : len(j.prompt_ids)] = 1
            ids, mask = ids.to(self.device), mask.to(self.device)
            logits = self.model(input_ids=ids, attention_mask=mask, use_cache=False).logits
            for r, j in enumerate(chunk):
                n = len(j.prompt_ids)
                lp = logits[r, :n].float().log_softmax(-1)
                actual = lp[:-1].gather(1, ids[r, 1:n, None]).squeeze(1) if n > 1 else lp.new_zeros(0)
                top = lp.max(-1)
                j.result = {
                    "token_logprobs": actual.tolist(),
                    "top_ids": top.indices.tolist(),
                    "top_logprobs": top.values.tolist(),
                }
                with self.lock:
                    self.counters["prompt_tokens"] += n
                    self.counters["generation_tokens"] += 1
                    self.counters["success_length"] += 1
                j.done.set()

    # ---- generation: left-padded prefill, then one decode step for all rows at a time ----
    @torch.inference_mode()
    def _generate(self, jobs):
        seqs = []  # (job, sample index)
        for j in jobs:
            for k in range(j.n):
                seqs.append((j, k))
        B = len(seqs)
        prompts = [j.prompt_ids for j, _ in seqs]
        samplings = [j.sampling for j, _ in seqs]
        L = max(len(p) for p in prompts)
        ids = torch.full((B, L), PAD_ID, dtype=torch.long)
        mask = torch.zeros((B, L), dtype=torch.long)
        for r, p in enumerate(prompts):
            ids[r, L - len(p):] = torch.tensor(p)
            mask[r, L - len(p):] = 1
        ids, mask = ids.to(self.device), mask.to(self.device)
        pos = (mask.cumsum(-1) - 1).clamp(min=0)
        gens = []
        for j, k in seqs:
            g = torch.Generator(device=self.device)
            s = j.sampling.seed
            g.manual_seed((int(s) * 1_000_003 + k) % (2**63) if s is not None else int(torch.randint(0, 2**62, (1,)).item()))
            gens.append(g)
        outs = [[] for _ in range(B)]
        cut_text = [None] * B  # the text before a stop string, for rows a stop string ended
        finish = [None] * B
        allowed_masks = {}
        for r, s in enumerate(samplings):
            if s.allowed_token_ids is not None:
                m = torch.ones(self.config.vocab_size, dtype=torch.bool, device=self.device)
                m[torch.tensor(s.allowed_token_ids, device=self.device)] = False
                allowed_masks[r] = m
        pb = ProcessorBatch(self.processors, [(s.extra_args, p, outs[r]) for r, (s, p) in enumerate(zip(samplings, prompts))]) if self.processors else None
        with self.lock:
            self.counters["prompt_tokens"] += sum(len(p) for p in prompts)
        out = self.model(input_ids=ids, attention_mask=mask, position_ids=pos, use_cache=True, logits_to_keep=1)
        cache = out.past_key_values
        logits = out.logits[:, -1, :].float()
        max_steps = max(s.max_tokens for s in samplings)
        step = 0
        budget = self.kv_budget_bytes()
        while True:
            t_step = time.perf_counter()
            if pb is not None:
                logits = pb.apply(logits)
            for r, m in allowed_masks.items():
                logits[r].masked_fill_(m, float("-inf"))
            tok = sample_tokens(logits, samplings, gens)
            tok_list = tok.tolist()
            if self.device.type == "cuda":
                torch.cuda.synchronize()
            self.step_times.append((B, time.perf_counter() - t_step))
            newly = []
            for r, t in enumerate(tok_list):
                if finish[r] is not None:
                    continue
                s = samplings[r]
                if not s.ignore_eos and t in EOS_IDS:
                    finish[r] = "stop"
                    newly.append(r)
                    continue
                outs[r].append(t)
                if s.stop:
                    from .textproc import apply_stop

                    text = self.tokenizer.decode(outs[r], skip_special_tokens=True)
                    cut, hit = apply_stop(text, s.stop)
                    if hit:
                        cut_text[r] = cut
                        finish[r] = "stop"
                        newly.append(r)
                        continue
                if len(outs[r]) >= s.max_tokens:
                    finish[r] = "length"
                    newly.append(r)
            step += 1
            with self.lock:
                self.counters["generation_tokens"] += sum(1 for r in range(B) if finish[r] is None or r in newly)
                self.counters["kv_cache_usage"] = min(1.0, B * (L + step) * self.kv_bytes_per_token / budget)
            if pb is not None and newly:
                pb.finish(newly)
            if all(f is not None for f in finish) or step >= max_steps:
                break
            mask = torch.cat([mask, mask.new_ones((B, 1))], dim=1)
            pos = pos[:, -1:] + 1
            out = self.model(input_ids=tok[:, None], attention_mask=mask, position_ids=pos, past_key_values=cache, use_cache=True)
            cache = out.past_key_values
            logits = out.logits[:, -1, :].float()
        if pb is not None:
            pb.close()
        del cache, out
        results = {}
        for r, (j, k) in enumerate(seqs):
            f = finish[r] or "length"
            text = cut_text[r] if cut_text[r] is not None else self.tokenizer.decode(outs[r], skip_special_tokens=True)
            results.setdefault(id(j), []).append({"index": k, "token_ids": outs[r], "text": text, "finish_reason": f})
        with self.lock:
            for j in jobs:
                for c in results[id(j)]:
                    self.counters["success_stop" if c["finish_reason"] == "stop" else "success_length"] += 1
        for j in jobs:
            j.result = sorted(results[id(j)], key=lambda c: c["index"])
            j.done.set()
