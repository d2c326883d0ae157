"""Entry point behind the `vllm` wrapper of the GPU stand-in."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.realpath(__file__)))
from gpu_standin.cli import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
