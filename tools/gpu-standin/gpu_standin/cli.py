"""`vllm serve MODEL --flags` parsing with vLLM 0.11's flag names (torch-free, so it is testable anywhere)."""
import json
import os
import sys
from dataclasses import dataclass, field

USAGE = "usage: vllm serve [model_tag] [options]"
# Flags whose value is a list (nargs="+"), as in vLLM.
MULTI = {"logits-processors", "api-key", "allowed-media-domains", "cudagraph-capture-sizes", "cuda-graph-sizes", "lora-modules", "ignore-patterns"}
# Accepted by vLLM but outside what a transformers stand-in can do: refused with a reason, never silently ignored.
REFUSED = {
    "tensor-parallel-size": "the GPU stand-in runs on one GPU; --tensor-parallel-size above 1 is refused",
    "pipeline-parallel-size": "the GPU stand-in runs on one GPU; --pipeline-parallel-size above 1 is refused",
}


class UsageError(Exception):
    """A command line vLLM's argparse would reject (exit code 2)."""


@dataclass
class ServeArgs:
    model: str
    opts: dict = field(default_factory=dict)

    def get(self, name, default=None):
        return self.opts.get(name, default)


def default_flags_file():
    """The transcription of vLLM 0.11's `vllm serve` flags that evalgraph and its CPU stand-in also use."""
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
    return os.path.join(root, "libs", "inference", "test", "fixtures", "vllm-0.11-serve-flags.txt")


def load_flag_kinds(path=None):
    """flag name (kebab case) -> 'value' | 'bool' | 'switch'."""
    kinds = {}
    with open(path or default_flags_file(), encoding="utf-8") as f:
        for line in f:
            if not line.strip() or line.startswith("#"):
                continue
            parts = line.rstrip("\n").split(" ")
            source, name, rest = parts[0], parts[2], parts[3:]
            if source == "frontend":
                kinds[name.replace("_", "-")] = "bool" if " ".join(rest) == "bool" else "value"
            else:
                kinds[name.lstrip("-")] = rest[0]
    return kinds


def parse_serve(argv, kinds):
    """Parses the argv after `serve`; raises UsageError with argparse's wording."""
    opts, model, unrecognized = {}, None, []
    i = 0
    while i < len(argv):
        a = argv[i]
        if not a.startswith("--"):
            if model is None:
                model = a
            else:
                unrecognized.append(a)
            i += 1
            continue
        eq = a.find("=")
        raw = (a[2:eq] if eq >= 0 else a[2:]).replace("_", "-")
        kind, name, negated = kinds.get(raw), raw, False
        if kind is None and raw.startswith("no-") and kinds.get(raw[3:]) == "bool":
            kind, name, negated = "bool", raw[3:], True
        if kind is None:
            unrecognized.append(a)
            if eq < 0 and i + 1 < len(argv) and not argv[i + 1].startswith("--"):
                unrecognized.append(argv[i + 1])
                i += 1
            i += 1
            continue
        if kind == "value":
            if eq >= 0:
                opts[name] = a[eq + 1:] if name not in MULTI else [a[eq + 1:]]
            elif name in MULTI:
                vals = []
                while i + 1 < len(argv) and not argv[i + 1].startswith("--"):
                    vals.append(argv[i + 1])
                    i += 1
                if not vals:
                    raise UsageError(f"argument --{name}: expected at least one argument")
                opts[name] = vals
            else:
                if i + 1 >= len(argv):
                    raise UsageError(f"argument --{name}: expected one argument")
                opts[name] = argv[i + 1]
                i += 1
        else:
            opts[name] = not negated
        i += 1
    if unrecognized:
        raise UsageError("unrecognized arguments: " + " ".join(unrecognized))
    return ServeArgs(model=model or opts.get("model") or "facebook/opt-125m", opts=opts)


def parse_lora_modules(values):
    """`--lora-modules` values as vLLM reads them (`name=path` or a JSON object with name and path) -> [(name, path)]."""
    out = []
    for v in values or []:
        if v.lstrip().startswith("{"):
            try:
                d = json.loads(v)
                out.append((str(d["name"]), str(d["path"])))
            except (ValueError, KeyError, TypeError) as e:
                raise UsageError(f"argument --lora-modules: Invalid JSON format for --lora-modules: {v}") from e
        elif "=" in v and v.split("=", 1)[0] and v.split("=", 1)[1]:
            name, path = v.split("=", 1)
            out.append((name, path))
        else:
            raise UsageError(f"argument --lora-modules: Invalid format for --lora-modules: {v}. Expected 'name=path' or a JSON object.")
    return out


def lora_settings(args):
    """(modules, max_lora_rank) from the serve args; modules without --enable-lora are refused as vLLM refuses them."""
    modules = parse_lora_modules(args.get("lora-modules"))
    if modules and not args.get("enable-lora"):
        raise UsageError("--lora-modules needs --enable-lora (LoRA is not enabled)")
    names = [n for n, _ in modules]
    if len(set(names)) != len(names):
        raise UsageError(f"argument --lora-modules: an adapter name is given twice: {names}")
    return modules, int(args.get("max-lora-rank") or 16)


def help_all(version, path=None):
    """`vllm serve --help=all`: the flag list printed as vLLM >= 0.10's grouped argparse help, which evalgraph parses
    to check flags against the installed server (the CPU stand-in prints the same layout)."""
    groups = {}
    with open(path or default_flags_file(), encoding="utf-8") as f:
        for line in f:
            if not line.strip() or line.startswith("#"):
                continue
            source, group, name = line.rstrip("\n").split(" ")[:3]
            flag = name.replace("_", "-") if source == "frontend" else name.lstrip("-")
            title = "Frontend" if source == "frontend" else "options" if source == "serve" else group.split("(")[0]
            groups.setdefault(title, []).append(flag)
    kinds = load_flag_kinds(path)
    out = [USAGE, "", f"Start the vLLM OpenAI Compatible API server ({version}, GPU stand-in; not vLLM).", ""]
    out += ["positional arguments:", "  model_tag             The model tag to serve (optional if specified in config) (default: None)", ""]
    for title, flags in groups.items():
        out.append(f"{title}:")
        if title == "options":
            out.append("  -h, --help            show this help message and exit")
        for flag in sorted(flags):
            kind, meta = kinds.get(flag), flag.upper().replace("-", "_")
            if kind == "bool":
                inv = f"--{flag}, --no-{flag}"
            elif kind == "value":
                inv = f"--{flag} {meta} [{meta} ...]" if flag in MULTI else f"--{flag} {meta}"
            else:
                inv = f"--{flag}"
            text = f"Stand-in help for --{flag}. (default: None)"
            out += [f"  {inv:<22}{text}"] if len(inv) <= 20 else [f"  {inv}", " " * 24 + text]
        out.append("")
    out += ["When passing JSON CLI arguments, the following sets of arguments are equivalent:",
            "   --json-arg '{\"key1\": \"value1\"}'", "   --json-arg.key1 value1"]
    return "\n".join(out) + "\n"


def refusal(args):
    """Why the stand-in will not serve these args (None when it will)."""
    for name, why in REFUSED.items():
        v = args.opts.get(name)
        if v in (None, False):
            continue
        if name.endswith("parallel-size") and str(v) == "1":
            continue
        return why
    return None


def main(argv=None):
    """Entry point of the `vllm` executable: `--version`, or `serve MODEL [--flags]`."""
    from . import LABEL, VERSION

    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] in (["--version"], ["-v"]):
        print(f"{VERSION} ({LABEL[len('gpu-standin ('):-1]})")
        return 0
    if argv[:1] != ["serve"]:
        sys.stderr.write(
            "usage: vllm [-h] [-v] {chat,complete,serve,bench,collect-env,run-batch} ...\n"
            f"vllm: error: argument subparser: invalid choice: '{argv[0] if argv else ''}' (gpu-standin supports serve and --version)\n"
        )
        return 2
    if any(a == "--help" or a.startswith("--help=") for a in argv[1:]):
        sys.stdout.write(help_all(VERSION))
        return 0
    try:
        args = parse_serve(argv[1:], load_flag_kinds())
        lora_settings(args)
    except UsageError as e:
        sys.stderr.write(f"{USAGE}\nvllm serve: error: {e}\n")
        return 2
    why = refusal(args)
    if why:
        sys.stderr.write(f"ValueError: {why}\n")
        return 1
    from .server import serve  # imports torch: only when serving

    return serve(args)
