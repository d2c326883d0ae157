# evalgraph code-scoring harness. Runs INSIDE the sandbox (libs/sandbox), one process per sample.
#
# Reads one JSON job from stdin, writes JSON lines to fd 3 (the sandbox's side channel, apart from
# the program's stdout). It reproduces the reference checkers:
#   mode "check":    openai/human-eval human_eval/execution.py (also what lm-evaluation-harness's
#                    HumanEval/MBPP use through HF `code_eval`): exec(program) under a time limit,
#                    IO swallowed, reliability_guard applied -> "passed" / "failed: ..." / "timed out".
#   mode "evalplus": evalplus/eval/__init__.py untrusted_check (differential testing against the
#                    canonical solution's outputs on base_input and plus_input, atol, special oracles),
#                    with expected outputs computed as evalplus/evaluate.py get_groundtruth does.
#   mode "sanitize": evalplus/sanitize.py sanitize(), with Python's ast in place of tree-sitter.
import contextlib
import faulthandler
import io
import json
import math
import os
import signal
import sys
import time

# ast, copy and numpy load only in the modes that use them: every import is paid once per sample.
ast = None
copy = None
_np = None


def _load_evalplus_modules():
    global ast, copy, _np
    import ast as _ast
    import copy as _copy

    ast, copy = _ast, _copy
    try:
        import numpy

        _np = numpy
    except Exception:
        _np = None


_write = os.write
_dumps = json.dumps
_monotonic = time.monotonic


def emit(obj):
    try:
        _write(3, (_dumps(obj) + "\n").encode("utf-8", "replace"))
    except Exception:
        pass


# ---------------------------------------------------------------- human-eval / evalplus utilities


class TimeoutException(Exception):
    pass


@contextlib.contextmanager
def time_limit(seconds):
    def signal_handler(signum, frame):
        raise TimeoutException("Timed out!")

    signal.setitimer(signal.ITIMER_REAL, seconds)
    signal.signal(signal.SIGALRM, signal_handler)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)


class WriteOnlyStringIO(io.StringIO):
    """StringIO that throws an exception when it's read from"""

    def read(self, *args, **kwargs):
        raise IOError

    def readline(self, *args, **kwargs):
        raise IOError

    def readlines(self, *args, **kwargs):
        raise IOError

    def readable(self, *args, **kwargs):
        return False


class redirect_stdin(contextlib._RedirectStream):  # type: ignore
    _stream = "stdin"


@contextlib.contextmanager
def swallow_io():
    stream = WriteOnlyStringIO()
    with contextlib.redirect_stdout(stream):
        with contextlib.redirect_stderr(stream):
            with redirect_stdin(stream):
                yield


def reliability_guard(disable_open=False):
    # human-eval's reliability_guard (evalplus adds builtins.open = None). Memory limits are set by
    # the sandbox (RLIMIT_AS) instead of here. Not a security boundary: the sandbox is.
    faulthandler.disable()
    import builtins

    builtins.exit = None
    builtins.quit = None
    os.environ["OMP_NUM_THREADS"] = "1"
    for name in [
        "kill", "system", "putenv", "remove", "removedirs", "rmdir", "fchdir", "setuid", "fork",
        "forkpty", "killpg", "rename", "renames", "truncate", "replace", "unlink", "fchmod",
        "fchown", "chmod", "chown", "chroot", "lchflags", "lchmod", "lchown", "getcwd", "chdir",
    ]:
        setattr(os, name, None)
    if disable_open:
        builtins.open = None
    import shutil

    shutil.rmtree = None
    shutil.move = None
    shutil.chown = None
    import subprocess

    subprocess.Popen = None  # type: ignore
    builtins.help = None
    for mod in ["ipdb", "joblib", "resource", "psutil", "tkinter"]:
        sys.modules[mod] = None


# ---------------------------------------------------------------- mode "check" (human-eval)


def mode_check(job):
    program = job["program"]
    timeout = float(job["timeout"])
    reliability_guard()
    emit({"event": "started"})
    try:
        exec_globals = {}
        with swallow_io():
            with time_limit(timeout):
                exec(program, exec_globals)
        result = "passed"
    except TimeoutException:
        result = "timed out"
    except BaseException as e:
        result = "failed: %s" % (e,)
    emit({"event": "result", "result": result[:2000]})


# ---------------------------------------------------------------- evalplus sanitize (ast port)


def syntax_check(code):
    try:
        ast.parse(code)
        return True
    except (SyntaxError, MemoryError, ValueError, RecursionError):
        return False


def code_extract(text):
    # Longest run of lines (by non-empty line count) that parses; the first such run wins on ties.
    # Runs that cannot beat the best so far are skipped without parsing, which changes nothing.
    import re

    ansi_escape = re.compile(r"\x1B(?:[@-Z\\-_]|\[[0-?]*[ -/]*[@-~])")
    text = ansi_escape.sub("", text)
    lines = text.split("\n")
    nonempty = [0]
    for line in lines:
        nonempty.append(nonempty[-1] + (1 if line.strip() else 0))
    longest_line_pair = (0, 0)
    longest_so_far = 0
    for i in range(len(lines)):
        for j in range(i + 1, len(lines)):
            current_length = nonempty[j + 1] - nonempty[i]
            if current_length <= longest_so_far:
                continue
            if syntax_check("\n".join(lines[i : j + 1])):
                longest_so_far = current_length
                longest_line_pair = (i, j)
    return "\n".join(lines[longest_line_pair[0] : longest_line_pair[1] + 1])


def _identifiers(node):
    # tree-sitter's `identifier` nodes: every name written in the subtree.
    out = set()
    for n in ast.walk(node):
        if isinstance(n, ast.Name):
            out.add(n.id)
        elif isinstance(n, ast.Attribute):
            out.add(n.attr)
        elif isinstance(n, ast.arg):
            out.add(n.arg)
        elif isinstance(n, ast.keyword) and n.arg:
            out.add(n.arg)
        elif isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            out.add(n.name)
        elif isinstance(n, ast.alias):
            out.update(n.name.split("."))
            if n.asname:
                out.add(n.asname)
        elif isinstance(n, (ast.Global, ast.Nonlocal)):
            out.update(n.names)
        elif isinstance(n, ast.ExceptHandler) and n.name:
            out.add(n.name)
    return out


def _has_return(node):
    return any(isinstance(n, ast.Return) for n in ast.walk(node))


def _segment_lines(code_lines, node):
    # Source text of a top-level statement (tree-sitter's start_byte..end_byte).
    start, end = node.lineno - 1, node.end_lineno - 1
    if start == end:
        return code_lines[start][node.col_offset : node.end_col_offset]
    first = code_lines[start][node.col_offset :]
    last = code_lines[end][: node.end_col_offset]
    return b"\n".join([first] + code_lines[start + 1 : end] + [last])


def extract_target_code_or_empty(code, entrypoint=None):
    code = code_extract(code)
    try:
        tree = ast.parse(code)
    except Exception:
        return ""
    # col offsets are UTF-8 byte offsets: slice bytes, as tree-sitter does.
    code_lines = [line.encode("utf-8") for line in code.split("\n")]
    class_names, function_names, variable_names = set(), set(), set()
    import_nodes, definition_nodes = [], []
    for child in tree.body:
        if isinstance(child, (ast.Import, ast.ImportFrom)):
            import_nodes.append(child)
        elif isinstance(child, ast.ClassDef) and not child.decorator_list:
            # decorated definitions are a different tree-sitter node type, which evalplus drops
            name = child.name
            if not (name in class_names or name in variable_names or name in function_names):
                definition_nodes.append((name, child))
                class_names.add(name)
        elif isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)) and not child.decorator_list:
            name = child.name
            if not (name in function_names or name in variable_names or name in class_names) and _has_return(child):
                definition_nodes.append((name, child))
                function_names.add(name)
        elif isinstance(child, (ast.Assign, ast.AnnAssign)):
            target = child.targets[0] if isinstance(child, ast.Assign) else child.target
            name = target.id if isinstance(target, ast.Name) else None
            if not (name in variable_names or name in function_names or name in class_names):
                definition_nodes.append((name, child))
                variable_names.add(name)

    reachable = None
    if entrypoint:
        name2deps = {name: _identifiers(node) for name, node in definition_nodes}
        queue, reachable = [entrypoint], {entrypoint}
        while queue:
            current = queue.pop(0)
            for neighbour in name2deps.get(current, ()):
                if neighbour not in reachable:
                    reachable.add(neighbour)
                    queue.append(neighbour)

    out = b""
    for node in import_nodes:
        out += _segment_lines(code_lines, node) + b"\n"
    for name, node in definition_nodes:
        if entrypoint and name not in reachable:
            continue
        out += _segment_lines(code_lines, node) + b"\n"
    return out[:-1].decode("utf-8", "replace")


def sanitize(code, entrypoint=None):
    sanitized_code = extract_target_code_or_empty(code, entrypoint).strip()
    if not sanitized_code:
        return code_extract(code)
    return sanitized_code


def mode_sanitize(job):
    _load_evalplus_modules()
    emit({"event": "result", "sanitized": sanitize(job["code"], job.get("entry_point"))})


# ---------------------------------------------------------------- mode "evalplus"

# evalplus/eval/_special_oracle.py
MBPP_OUTPUT_NOT_NONE_TASKS = ["check_str", "text_match_three", "text_starta_endb"]
MBPP_OUTPUT_SET_EQ_TASKS = [
    "similar_elements", "find_char_long", "common_in_nested_lists", "extract_singly",
    "larg_nnum", "intersection_array", "find_dissimilar", "Diff",
]


def _surface_Area(base_edge, height):
    slant_height = math.sqrt((base_edge / 2) ** 2 + height**2)
    base_area = base_edge**2
    lateral_area = 4 * (base_edge * slant_height) / 2
    total_surface_area = base_area + lateral_area
    return round(total_surface_area)


def _digit_distance_nums(num1, num2):
    str_num1, str_num2 = str(num1), str(num2)
    max_length = max(len(str_num1), len(str_num2))
    str_num1, str_num2 = str_num1.zfill(max_length), str_num2.zfill(max_length)
    total_difference = 0
    for digit1, digit2 in zip(str_num1, str_num2):
        total_difference += abs(int(digit1) - int(digit2))
    return total_difference


def _poly(xs, x):
    return sum([coeff * math.pow(x, i) for i, coeff in enumerate(xs)])


# evalplus/data/mbpp.py mbpp_deserialize_inputs: JSON cannot hold tuples, sets or complex numbers.
def mbpp_deserialize_inputs(task_id, inputs):
    task_id = int(str(task_id).split("/")[-1])
    if task_id in [2, 116, 132, 143, 222, 261, 273, 394, 399, 421, 424, 429, 470, 560, 579, 596, 616, 630, 726, 740, 744, 809]:
        return [[tuple(lst) for lst in inp] for inp in inputs]
    if task_id in [63, 64, 70, 94, 120, 237, 272, 299, 400, 409, 417, 438, 473, 614, 780]:
        return [[[tuple(lst) for lst in lst_lst] for lst_lst in inp] for inp in inputs]
    if task_id in [75, 413, 444, 753]:
        return [[[tuple(lst) for lst in inp[0]]] + [inp[1]] for inp in inputs]
    if task_id == 106 or task_id == 750:
        return [[inp[0]] + [tuple(inp[1])] for inp in inputs]
    if task_id == 115:
        return [[[set(item) if isinstance(item, list) and len(item) else {} for item in inp[0]]] for inp in inputs]
    if task_id == 124:
        return [(float(inp[0]), complex(inp[1])) for inp in inputs]
    if task_id in [250, 405, 446, 617, 720, 763, 808]:
        return [[tuple(inp[0])] + [inp[1]] for inp in inputs]
    if task_id in [259, 401, 445]:
        modified = [[[tuple(lst) for lst in lst_lst] for lst_lst in inp] for inp in inputs]
        return [[tuple(lst) for lst in inp] for inp in modified]
    if task_id == 278:
        modified = [[[tuple(item) if isinstance(item, list) else item for item in inp[0]]] for inp in inputs]
        return [[tuple(lst) for lst in inp] for inp in modified]
    if task_id == 307:
        return [[tuple(inp[0])] + [inp[1], inp[2]] for inp in inputs]
    if task_id == 722:
        return [[{key: tuple(value) for key, value in inp[0].items()}] + inp[1:] for inp in inputs]
    if task_id == 252:
        return [[complex(inp[0])] for inp in inputs]
    if task_id in [580, 615, 791]:

        def turn_all_list_into_tuple(inp):
            if isinstance(inp, list):
                return tuple([turn_all_list_into_tuple(item) for item in inp])
            return inp

        return [turn_all_list_into_tuple(inp) for inp in inputs]
    return inputs


def is_floats(x):
    if isinstance(x, float):
        return True
    if isinstance(x, (list, tuple)) and x:
        return all(isinstance(i, float) for i in x)
    if _np is not None and isinstance(x, _np.ndarray):
        return x.dtype == _np.float64 or x.dtype == _np.float32
    return False


def _allclose(a, b, rtol, atol):
    # np.allclose(a, b, rtol, atol) for scalars and equal-shaped nested sequences (no numpy needed).
    if _np is not None:
        return bool(_np.allclose(a, b, rtol=rtol, atol=atol))
    if isinstance(a, (list, tuple)) or isinstance(b, (list, tuple)):
        if not (isinstance(a, (list, tuple)) and isinstance(b, (list, tuple))) or len(a) != len(b):
            raise ValueError("shapes differ")
        return all(_allclose(x, y, rtol, atol) for x, y in zip(a, b))
    if isinstance(a, (str, bytes)) or isinstance(b, (str, bytes)) or a is None or b is None:
        raise TypeError("not numeric")
    if a == b:
        return True
    fa, fb = complex(a), complex(b)
    if any(math.isnan(v) for v in (fa.real, fa.imag, fb.real, fb.imag)):
        return False
    if any(math.isinf(v) for v in (fa.real, fa.imag, fb.real, fb.imag)):
        return False
    return abs(fa - fb) <= atol + rtol * abs(fb)


def trusted_exec(code, inputs, entry_point, output_not_none=False):
    exec_globals = {}
    exec(code, exec_globals)
    fn = exec_globals[entry_point]
    rtime, ret = [], []
    for inp in inputs:
        inp = copy.deepcopy(inp)
        start = time.time()
        ret.append(fn(*inp))
        rtime.append(time.time() - start)
    if output_not_none:
        ret = [i is not None for i in ret]
    return ret, rtime


class _PhaseTimeout(BaseException):
    pass


def untrusted_phase(dataset, entry_point, code, inputs, expected, ref_time, atol, min_time_limit, gt_factor):
    # evalplus untrusted_check + unsafe_execute with fast_check=True. Per-input limits are
    # max(min_time_limit, gt_factor * canonical time); the whole phase gets min(60, sum) + 2 s, and
    # running out of it is "timeout" (evalplus: the worker is killed), a per-input limit is "fail".
    time_limits = [max(min_time_limit, gt_factor * t) for t in ref_time]
    budget = min(60.0, sum(time_limits)) + 2.0
    deadline = _monotonic() + budget
    done = 0
    reason = None

    def remaining():
        return deadline - _monotonic()

    def limited(seconds, fn):
        # Runs fn under the smaller of `seconds` and the phase budget; says which one ran out.
        left = remaining()
        if left <= 0:
            raise _PhaseTimeout()
        phase_cut = left < seconds
        try:
            with time_limit(min(seconds, left)):
                return fn()
        except TimeoutException:
            if phase_cut:
                raise _PhaseTimeout()
            raise

    try:
        exec_globals = {}
        with swallow_io():
            limited(budget, lambda: exec(code, exec_globals))
            fn = exec_globals[entry_point]
        for i, inp in enumerate(inputs):
            try:
                with swallow_io():
                    out = limited(time_limits[i], lambda: fn(*inp))
                exp = expected[i]
                exact_match = out == exp
                if dataset == "mbpp":
                    if "are_equivalent" == entry_point:
                        exact_match = exact_match or True
                    elif "sum_div" == entry_point:
                        exact_match = exact_match or out == 0
                    elif "surface_Area" == entry_point:
                        exact_match = exact_match or abs(out - _surface_Area(*inp)) <= atol
                    elif "digit_distance_nums" == entry_point:
                        exact_match = exact_match or out == _digit_distance_nums(*inp)
                    elif entry_point in MBPP_OUTPUT_SET_EQ_TASKS:
                        exact_match = set(out) == set(exp)
                    elif entry_point in MBPP_OUTPUT_NOT_NONE_TASKS:
                        if isinstance(out, bool):
                            exact_match = out == exp
                        else:
                            exact_match = exp == (out is not None)
                if dataset == "humaneval":
                    if "find_zero" == entry_point:
                        assert abs(_poly(*inp, out)) <= atol
                        done += 1
                        continue
                if atol == 0 and is_floats(exp):
                    atol = 1e-6
                if not exact_match and atol != 0:
                    assert type(out) == type(exp)
                    if isinstance(exp, (list, tuple)):
                        assert len(out) == len(exp)
                    assert _allclose(out, exp, rtol=1e-07, atol=atol)
                else:
                    assert exact_match
            except _PhaseTimeout:
                raise
            except BaseException as e:
                reason = "time limit" if isinstance(e, TimeoutException) else "%s: %s" % (type(e).__name__, str(e)[:300])
                return {"status": "fail", "passed": done, "total": len(inputs), "failed_index": i, "reason": reason}
            done += 1
    except _PhaseTimeout:
        return {"status": "timeout", "passed": done, "total": len(inputs), "failed_index": done, "reason": "phase time budget"}
    except BaseException as e:
        return {"status": "fail", "passed": done, "total": len(inputs), "failed_index": None, "reason": "%s: %s" % (type(e).__name__, str(e)[:300])}
    return {"status": "pass", "passed": done, "total": len(inputs), "failed_index": None, "reason": None}


def mode_evalplus(job):
    _load_evalplus_modules()
    dataset = job["dataset"]
    entry_point = job["entry_point"]
    solution = job["solution"]
    if job.get("sanitize", True):
        try:
            solution = sanitize(solution, entry_point)
        except Exception as e:  # a sanitizer bug must not turn into a wrong answer: run the code as given
            emit({"event": "error", "error": "sanitize failed: %s: %s" % (type(e).__name__, e)})
    emit({"event": "sanitized", "solution": solution[:20000]})
    base_input = json.loads(job["base_input"])
    plus_input = json.loads(job["plus_input"])
    if dataset == "mbpp":
        base_input = mbpp_deserialize_inputs(job["task_id"], base_input)
        plus_input = mbpp_deserialize_inputs(job["task_id"], plus_input)
    atol = job["atol"]
    not_none = dataset == "mbpp" and entry_point in MBPP_OUTPUT_NOT_NONE_TASKS
    # Ground truth, as evalplus get_groundtruth: the canonical solution on the same inputs.
    canonical = job["canonical"]
    exp_base, t_base = trusted_exec(canonical, base_input, entry_point, not_none)
    exp_plus, t_plus = trusted_exec(canonical, plus_input, entry_point, not_none)
    emit({"event": "started", "canonical_seconds": sum(t_base) + sum(t_plus)})
    reliability_guard(disable_open=True)
    args = (float(job.get("min_time_limit", 4.0)), float(job.get("gt_time_limit_factor", 4.0)))
    base = untrusted_phase(dataset, entry_point, solution, base_input, exp_base, t_base, atol, *args)
    emit({"event": "phase", "phase": "base", "result": base})
    plus = untrusted_phase(dataset, entry_point, solution, plus_input, exp_plus, t_plus, atol, *args)
    emit({"event": "result", "base": base, "plus": plus})


def main():
    job = json.loads(sys.stdin.buffer.read().decode("utf-8"))
    # The job text stays out of the candidate's reach: stdin now reads from /dev/null.
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.close(devnull)
    sys.setrecursionlimit(max(sys.getrecursionlimit(), int(job.get("recursion_limit", 1000))))
    mode = job["mode"]
    if mode == "check":
        mode_check(job)
    elif mode == "evalplus":
        mode_evalplus(job)
    elif mode == "sanitize":
        mode_sanitize(job)
    else:
        emit({"event": "error", "error": "unknown mode %r" % (mode,)})


if __name__ == "__main__":
    main()
