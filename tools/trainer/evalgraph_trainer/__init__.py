"""evalgraph's LoRA trainer: run by the `train` executor (tools/evalgraph-plugin), one job file per run."""
