#!/usr/bin/env python3
"""evalgraph's LoRA trainer: `python3 tools/trainer/train.py --job JOB.json` (written by the `train` executor).

trainer "transformers" needs torch (CUDA), transformers and peft; trainer "fake" needs only Python 3.
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from evalgraph_trainer.job import JobError, load_job  # noqa: E402


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--job", required=True, help="job file written by evalgraph")
    args = ap.parse_args(argv)
    try:
        job = load_job(args.job)
    except (JobError, OSError, ValueError) as e:
        print(f"evalgraph trainer: {e}", file=sys.stderr)
        return 2
    if job["trainer"] == "fake":
        from evalgraph_trainer import fake as impl
    else:
        from evalgraph_trainer import hf as impl
    impl.run(job)
    return 0


if __name__ == "__main__":
    sys.exit(main())
