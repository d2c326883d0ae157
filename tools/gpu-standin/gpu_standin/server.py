"""vLLM's OpenAI-compatible HTTP API over the stand-in engine (stdlib http.server, one thread per connection)."""
import hashlib
import json
import os
import signal
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import torch

from . import LABEL, VERSION
from .cli import lora_settings
from .engine import Engine, Job, Sampling
from .lp_adapter import ParamsView, load_processor_classes
from .textproc import ChatTemplate, apply_stop, metrics_text, model_config_file, split_reasoning, tokenizer_dir

DTYPES = {"auto": torch.bfloat16, "bfloat16": torch.bfloat16, "float16": torch.float16, "half": torch.float16, "float32": torch.float32, "float": torch.float32}


def log(level, msg):
    sys.stdout.write(f"{level} {time.strftime('%m-%d %H:%M:%S')} [gpu-standin] {msg}\n")
    sys.stdout.flush()


class BadRequest(Exception):
    def __init__(self, status, message, kind="BadRequestError"):
        super().__init__(message)
        self.status, self.kind = status, kind


class App:
    """Everything a request handler needs: engine, tokenizer, template, served name, options."""

    def __init__(self, args):
        from tokenizers import Tokenizer

        self.args = args
        self.model = args.model
        self.served = args.get("served-model-name") or args.model
        self.max_model_len = int(args.get("max-model-len") or 4096)
        self.reasoning_parser = args.get("reasoning-parser")
        tdir = tokenizer_dir()
        self.tokenizer = Tokenizer.from_file(os.path.join(tdir, "tokenizer.json"))
        self.template = ChatTemplate(os.path.join(tdir, "tokenizer_config.json"), args.get("chat-template"))
        self.request_log = os.environ.get("GPU_STANDIN_REQUEST_LOG")
        self.log_lock = threading.Lock()
        config = model_config_file(args.model)
        self.lora_modules, max_lora_rank = lora_settings(args)
        compile_dir = compile_cache_dir(args, self.lora_modules)
        classes = load_processor_classes(args.get("logits-processors") or [])
        util = float(args.get("gpu-memory-utilization") or 0.9)
        if torch.cuda.is_available():
            # The only cap transformers allows: the caching allocator refuses to grow past this share of the GPU.
            torch.cuda.set_per_process_memory_fraction(util)
        device = os.environ.get("GPU_STANDIN_DEVICE") or ("cuda" if torch.cuda.is_available() else "cpu")
        self.engine = Engine(
            config,
            self.tokenizer,
            dtype=DTYPES.get(str(args.get("dtype") or "auto"), torch.bfloat16),
            device=device,
            max_num_seqs=int(args.get("max-num-seqs") or 128),
            max_model_len=self.max_model_len,
            seed=int(args.get("seed") or 0),
            processor_classes=classes,
            lora_modules=self.lora_modules,
            log=log,
            max_lora_rank=max_lora_rank,
            compile_cache_dir=compile_dir,
        )
        if self.engine.compiled:
            secs, warm = self.engine.compiled
            log("INFO", f"torch.compile of the forward pass: {secs:.1f} s, cache {'warm' if warm else 'cold'} ({compile_dir})")
        gib = torch.cuda.memory_allocated() / 2**30 if device == "cuda" else 0.0
        log("INFO", f"model {args.model} ({config}) built with random weights in {self.engine.load_seconds:.1f} s on {device}; {gib:.2f} GiB allocated; logits processors: {[c.__name__ for c in classes]}; LoRA adapters (peft): {[n for n, _ in self.lora_modules]}")

    # ---- request bodies ----
    def check_model(self, body):
        """The adapter a request names (None: the base model); 404 for a name this server does not serve, as vLLM."""
        name = body.get("model")
        if name == self.served:
            return None
        if name in self.engine.adapters:
            return name
        raise BadRequest(404, f"The model `{name}` does not exist.", "NotFoundError")

    def models(self):
        """/v1/models: the base model, then each adapter with its path as root and the base as parent (vLLM's layout)."""
        now = int(time.time())
        base = {"id": self.served, "object": "model", "created": now, "owned_by": "gpu-standin", "root": self.model, "parent": None, "max_model_len": self.max_model_len}
        return [base] + [{"id": n, "object": "model", "created": now, "owned_by": "gpu-standin", "root": p, "parent": self.served, "max_model_len": self.max_model_len} for n, p in self.lora_modules]

    def sampling(self, body, prompt_len):
        max_tokens = body.get("max_tokens", body.get("max_completion_tokens"))
        if max_tokens is None:
            max_tokens = self.max_model_len - prompt_len
        max_tokens = int(max_tokens)
        if prompt_len + max_tokens > self.max_model_len:
            raise BadRequest(400, f"This model's maximum context length is {self.max_model_len} tokens. However, you requested {prompt_len + max_tokens} tokens ({prompt_len} in the messages, {max_tokens} in the completion). Please reduce the length of the messages or completion.")
        stop = body.get("stop")
        stop = [stop] if isinstance(stop, str) else list(stop or [])
        extra = body.get("vllm_xargs")
        for cls in self.engine.processor_classes:
            try:
                cls.validate_params(ParamsView(extra))
            except ValueError as e:
                raise BadRequest(400, str(e)) from e
        allowed = body.get("allowed_token_ids")
        if allowed is not None:
            vocab = self.engine.config.vocab_size
            if not isinstance(allowed, list) or any(not isinstance(x, int) or x < 0 or x >= vocab for x in allowed):
                raise BadRequest(400, "allowed_token_ids contains out-of-vocab token id")
        top_k = body.get("top_k")
        return Sampling(
            max_tokens=max_tokens,
            temperature=body.get("temperature", 1.0) if body.get("temperature") is not None else 1.0,
            top_p=body.get("top_p") if body.get("top_p") is not None else 1.0,
            top_k=-1 if top_k in (None, 0) else top_k,
            min_p=body.get("min_p") or 0.0,
            seed=body.get("seed"),
            stop=stop,
            ignore_eos=bool(body.get("ignore_eos")),
            extra_args=extra,
            allowed_token_ids=allowed,
        )

    def run(self, job):
        self.engine.submit(job)
        job.done.wait()
        if job.error:
            raise BadRequest(500, job.error, "InternalServerError")
        return job.result

    def chat(self, body):
        adapter = self.check_model(body)
        messages = body.get("messages")
        if not isinstance(messages, list) or not messages:
            raise BadRequest(400, "messages must be a non-empty list")
        prompt = self.template.render(messages, body.get("chat_template_kwargs") or {})
        ids = self.tokenizer.encode(prompt, add_special_tokens=False).ids
        n = int(body.get("n") or 1)
        result = self.run(Job("generate", ids, self.sampling(body, len(ids)), n, adapter))
        choices = []
        for c in result:
            message = {"role": "assistant", "content": c["text"], "tool_calls": []}
            if self.reasoning_parser:
                reasoning, content = split_reasoning(c["text"])
                message = {"role": "assistant", "content": content, "reasoning_content": reasoning, "tool_calls": []}
            choices.append({"index": c["index"], "message": message, "logprobs": None, "finish_reason": c["finish_reason"], "stop_reason": None})
        completion = sum(len(c["token_ids"]) for c in result)
        return {"object": "chat.completion", "choices": choices, "usage": {"prompt_tokens": len(ids), "completion_tokens": completion, "total_tokens": len(ids) + completion}}

    def completion(self, body):
        adapter = self.check_model(body)
        prompt = body.get("prompt")
        if isinstance(prompt, list):
            if len(prompt) != 1 or not isinstance(prompt[0], str):
                raise BadRequest(400, "the GPU stand-in takes one text prompt per request")
            prompt = prompt[0]
        if not isinstance(prompt, str) or not prompt:
            raise BadRequest(400, "prompt must be a non-empty string")
        enc = self.tokenizer.encode(prompt, add_special_tokens=False)
        ids = enc.ids
        echo, logprobs = bool(body.get("echo")), body.get("logprobs")
        max_tokens = int(body.get("max_tokens") if body.get("max_tokens") is not None else 16)
        if echo or logprobs is not None:
            if not echo or logprobs is None or max_tokens > 1:
                raise BadRequest(400, "the GPU stand-in computes logprobs only for echo=true, logprobs=N, max_tokens 0 or 1 (log-likelihood scoring)")
            self.sampling(body, len(ids))
            r = self.run(Job("score", ids, adapter=adapter))
            tokens = [prompt[s:e] for s, e in enc.offsets]
            offsets = [s for s, _ in enc.offsets]
            token_lps = [None] + r["token_logprobs"]
            top = [None]
            for i in range(1, len(ids)):
                entry = {self.tokenizer.decode([r["top_ids"][i - 1]], skip_special_tokens=False): r["top_logprobs"][i - 1]}
                entry[tokens[i]] = r["token_logprobs"][i - 1]
                top.append(entry)
            text = prompt
            completion = 0
            if max_tokens == 1:
                g = self.tokenizer.decode([r["top_ids"][-1]], skip_special_tokens=False)
                tokens.append(g)
                offsets.append(len(prompt))
                token_lps.append(r["top_logprobs"][-1])
                top.append({g: r["top_logprobs"][-1]})
                text += g
                completion = 1
            choice = {"index": 0, "text": text, "logprobs": {"tokens": tokens, "token_logprobs": token_lps, "top_logprobs": top, "text_offset": offsets}, "finish_reason": "length", "stop_reason": None}
            return {"object": "text_completion", "choices": [choice], "usage": {"prompt_tokens": len(ids), "completion_tokens": completion, "total_tokens": len(ids) + completion}}
        n = int(body.get("n") or 1)
        result = self.run(Job("generate", ids, self.sampling({**body, "max_tokens": max_tokens}, len(ids)), n, adapter))
        choices = [{"index": c["index"], "text": c["text"], "logprobs": None, "finish_reason": c["finish_reason"], "stop_reason": None} for c in result]
        completion = sum(len(c["token_ids"]) for c in result)
        return {"object": "text_completion", "choices": choices, "usage": {"prompt_tokens": len(ids), "completion_tokens": completion, "total_tokens": len(ids) + completion}}


def make_handler(app):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *a):  # no access log (vLLM is started with --disable-uvicorn-access-log)
            pass

        def send(self, status, obj, ctype="application/json"):
            data = obj.encode() if isinstance(obj, str) else json.dumps(obj).encode()
            self.send_response(status)
            self.send_header("content-type", ctype)
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def error(self, status, message, kind):
            self.send(status, {"object": "error", "error": {"message": message, "type": kind, "param": None, "code": status}})

        def do_GET(self):
            path = self.path.split("?")[0]
            if path == "/health":
                return self.send(200, "", "text/plain")
            if path == "/version":
                return self.send(200, {"version": VERSION, "runtime": LABEL})
            if path == "/metrics":
                with app.engine.lock:
                    counters = dict(app.engine.counters)
                return self.send(200, metrics_text(app.served, counters), "text/plain; version=0.0.4")
            if path == "/v1/models":
                return self.send(200, {"object": "list", "data": app.models()})
            return self.error(404, "Not Found", "NotFoundError")

        def do_POST(self):
            path = self.path.split("?")[0]
            raw = self.rfile.read(int(self.headers.get("content-length") or 0))
            if path not in ("/v1/chat/completions", "/v1/completions"):
                return self.error(404, "Not Found", "NotFoundError")
            try:
                body = json.loads(raw)
            except ValueError:
                return self.error(400, "invalid JSON body", "BadRequestError")
            if app.request_log:
                line = json.dumps({"time": time.time(), "pid": os.getpid(), "path": path, "probe": self.headers.get("x-evalgraph-probe") == "1", "body_sha256": hashlib.sha256(raw).hexdigest(), "body": body})
                with app.log_lock, open(app.request_log, "a", encoding="utf-8") as f:
                    f.write(line + "\n")
            try:
                out = app.chat(body) if path == "/v1/chat/completions" else app.completion(body)
            except BadRequest as e:
                return self.error(e.status, str(e), e.kind)
            except Exception as e:  # noqa: BLE001 - the answer names the failure; the server stays up
                return self.error(500, f"{type(e).__name__}: {e}", "InternalServerError")
            out.update({"id": "gpu-standin-" + hashlib.sha256(raw + str(time.time()).encode()).hexdigest()[:12], "created": int(time.time()), "model": body.get("model") or app.served, "system_fingerprint": f"{VERSION} ({LABEL})"})
            self.send(200, out)
            if app.request_log:  # after the answer is written: a request the client may have stored
                with app.log_lock, open(app.request_log, "a", encoding="utf-8") as f:
                    f.write(json.dumps({"time": time.time(), "pid": os.getpid(), "path": path, "answered": True, "body_sha256": hashlib.sha256(raw).hexdigest()}) + "\n")

    return Handler


class Server(ThreadingHTTPServer):
    """socketserver's listen backlog is 5: 64 clients connecting at once while the engine thread holds the GIL
    overflowed it, and a client whose handshake was dropped gave up after about a minute of SYN retries (call 8 in
    docs/gpu-validation.md). uvicorn, which vLLM serves with, listens with a backlog of 2048."""

    request_queue_size = 2048


def serve(args):
    """Loads the model, then binds --host/--port (as vLLM: the port answers once the engine is up) until SIGTERM/SIGINT."""
    host, port = args.get("host") or "127.0.0.1", int(args.get("port") or 8000)
    log("INFO", f"{VERSION}: {LABEL} serving {args.model} on {host}:{port}; pid {os.getpid()}")
    log("INFO", f"non-default args: {json.dumps(args.opts)}")
    log("INFO", f"CUDA_VISIBLE_DEVICES={os.environ.get('CUDA_VISIBLE_DEVICES', '')} PYTHONPATH={os.environ.get('PYTHONPATH', '')}")
    log("INFO", "not honoured (no vLLM engine): prefix caching, chunked prefill, CUDA graphs, kv-cache dtype, paged KV blocks, swap space; --gpu-memory-utilization caps the allocator (set_per_process_memory_fraction) but nothing is reserved up front")
    app = App(args)
    try:
        httpd = Server((host, port), make_handler(app))
    except OSError as e:
        sys.stderr.write(f"ERROR: [Errno {e.errno}] error while attempting to bind on address ('{host}', {port}): {e.strerror}\n")
        return 1
    httpd.daemon_threads = True

    def stop(signum, _frame):
        log("INFO", f"{signal.Signals(signum).name} received: shutting down")
        threading.Thread(target=httpd.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    log("INFO", "Application startup complete.")
    httpd.serve_forever(poll_interval=0.2)
    app.engine.stop()
    httpd.server_close()
    log("INFO", "stopped")
    return 0


def compile_cache_dir(args, lora_modules):
    """Where torch.compile keeps its artifacts, as vLLM does under VLLM_CACHE_ROOT; None (eager) without the variable,
    with --enforce-eager, or with LoRA adapters (peft's wrapper is not compiled here)."""
    root = os.environ.get("VLLM_CACHE_ROOT")
    if not root or args.get("enforce-eager") or lora_modules:
        return None
    return os.path.join(root, "torch_compile_cache")
